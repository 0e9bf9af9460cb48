"""The four card layouts of the 256-byte text block (UCS-2LE, padded with spaces).

One table per layout, used both to parse what a reader sends and to build what the simulator
sends. The layout is told by the character at byte 248: `J` 港澳台居民居住证, `I` 2017
foreign permanent residence card, `Y` 2023 one, anything else a resident ID card.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any

from devices.errors import ProtocolError

TEXT_BYTES, PHOTO_BYTES = 256, 1024
PHOTO_NEEDS_VENDOR = "照片需厂商解码库"
LONG_TERM = "长期"

SEX = {"0": "未知", "1": "男", "2": "女", "9": "未说明"}
_NATION_NAMES = (  # noqa: SIM905 - GB/T 3304, codes 01 to 56 in order
    "汉 蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 "
    "畲 高山 拉祜 水 东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 "
    "阿昌 普米 塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 "
    "赫哲 门巴 珞巴 基诺 "
).split()
NATIONS = dict(enumerate(_NATION_NAMES, start=1))
NATIONS |= {97: "其他", 98: "外国血统中国籍人士"}

# (field, first byte, byte length) per layout; text fields are UCS-2LE.
LAYOUTS: dict[str, list[tuple[str, int, int]]] = {
    "resident": [
        ("name", 0, 30),
        ("sex", 30, 2),
        ("nation", 32, 4),
        ("birth", 36, 16),
        ("address", 52, 70),
        ("id_number", 122, 36),
        ("authority", 158, 30),
        ("valid_from", 188, 16),
        ("valid_to", 204, 16),
    ],
    "hmt": [
        ("name", 0, 30),
        ("sex", 30, 2),
        ("birth", 36, 16),
        ("address", 52, 70),
        ("id_number", 122, 36),
        ("authority", 158, 30),
        ("valid_from", 188, 16),
        ("valid_to", 204, 16),
        ("pass_number", 220, 18),
        ("issue_count", 238, 4),
    ],
    "foreign_2017": [
        ("name_en", 0, 120),
        ("sex", 120, 2),
        ("id_number", 122, 30),
        ("nationality", 152, 6),
        ("name", 158, 30),
        ("valid_from", 188, 16),
        ("valid_to", 204, 16),
        ("birth", 220, 16),
        ("card_version", 236, 4),
        ("authority", 240, 8),
    ],
    "foreign_2023": [
        ("name", 0, 30),
        ("sex", 30, 2),
        ("renewals", 32, 4),
        ("birth", 36, 16),
        ("name_en", 52, 70),
        ("id_number", 122, 36),
        ("valid_from", 188, 16),
        ("valid_to", 204, 16),
        ("name_en_more", 220, 22),
        ("nationality", 242, 6),
        ("previous_number", 250, 6),
    ],
}
FLAGS = {"hmt": "J", "foreign_2017": "I", "foreign_2023": "Y"}
ID_TYPES = {
    "resident": "resident_id",
    "hmt": "hmt_permit",
    "foreign_2017": "foreign_permanent",
    "foreign_2023": "foreign_permanent",
}
KIND_NAMES = {
    "resident": "居民身份证",
    "hmt": "港澳台居民居住证",
    "foreign_2017": "外国人永久居留身份证（2017版）",
    "foreign_2023": "外国人永久居留身份证（2023版）",
}


@dataclass(frozen=True)
class IdCard:
    """What a reader read from one card. Dates stay strings as printed on the card."""

    kind: str
    name: str
    sex: str = ""
    nation: str = ""
    birth: str = ""
    address: str = ""
    id_number: str = ""
    authority: str = ""
    valid_from: str = ""
    valid_to: str = ""
    name_en: str = ""
    nationality: str = ""
    pass_number: str = ""
    issue_count: str = ""
    card_version: str = ""
    renewals: str = ""
    name_en_more: str = ""
    previous_number: str = ""
    new_address: str = ""  # 追加住址 (30 03): where the holder lives now, if they moved
    photo: bytes = field(default=b"", repr=False)

    @property
    def id_type(self) -> str:
        """The platform contract's `id_type` for this card."""
        return ID_TYPES[self.kind]

    @property
    def sex_name(self) -> str:
        return SEX.get(self.sex, self.sex)

    @property
    def nation_name(self) -> str:
        return NATIONS.get(int(self.nation), self.nation) if self.nation.isdigit() else ""

    @property
    def current_address(self) -> str:
        """The address the intake uses: the appended one when the chip has it, else the
        address printed on the card (`address`, kept beside it)."""
        return self.new_address or self.address

    @property
    def english_name(self) -> str:
        return (self.name_en + self.name_en_more).strip()

    def expires(self) -> date | None:
        """The last valid day; None for a long-term (长期) card."""
        return None if self.valid_to == LONG_TERM else _date(self.valid_to, "有效期限")

    def expired(self, today: date | None = None) -> bool:
        end = self.expires()
        return end is not None and end < (today or date.today())


def _date(text: str, what: str) -> date:
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise ProtocolError(f"证件{what}无法识别：{text!r}") from None


def kind_of(text: bytes) -> str:
    flag = text[248:250].decode("utf-16-le", errors="replace")
    return next((kind for kind, f in FLAGS.items() if f == flag), "resident")


def parse(text: bytes, photo: bytes = b"") -> IdCard:
    """Parse the 256-byte text block of a `30 01` reply."""
    if len(text) != TEXT_BYTES:
        raise ProtocolError(f"证件文字信息长度应为256字节，收到{len(text)}字节")
    kind = kind_of(text)
    values = {
        name: text[start : start + size].decode("utf-16-le", errors="replace").rstrip(" \x00")
        for name, start, size in LAYOUTS[kind]
    }
    card = IdCard(kind=kind, photo=photo, **values)
    if not card.name or not card.id_number:
        raise ProtocolError("证件信息不完整（缺少姓名或号码）")
    _date(card.birth, "出生日期")
    return card


def parse_address(data: bytes) -> str:
    """The 追加住址 of a `30 03` reply: UCS-2LE text padded with spaces, its length told by
    the frame (GA/T 490 gives the address 70 bytes; we do not rely on it)."""
    usable = data[: len(data) // 2 * 2]
    return usable.decode("utf-16-le", errors="replace").rstrip(" \x00").strip()


def encode_address(address: str) -> bytes:
    """What a reader sends for a 追加住址: 70 bytes of UCS-2LE, space-padded."""
    raw = address.encode("utf-16-le")[:70]
    return raw + " ".encode("utf-16-le") * ((70 - len(raw)) // 2)


def encode(card: IdCard) -> bytes:
    """The 256-byte text block of `card`: what a reader's SAM module sends."""
    block = bytearray(" ".encode("utf-16-le") * (TEXT_BYTES // 2))
    for name, start, size in LAYOUTS[card.kind]:
        raw = getattr(card, name).encode("utf-16-le")[:size]
        block[start : start + len(raw)] = raw
    if card.kind in FLAGS:
        block[248:250] = FLAGS[card.kind].encode("utf-16-le")
    return bytes(block)


def from_json(data: dict) -> IdCard:
    """A card from the simulator's JSON file (field names as in `IdCard`, photo omitted)."""
    known = {f.name for f in fields(IdCard)} - {"photo"}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"unknown card fields: {sorted(unknown)}")
    values: dict[str, Any] = {k: str(v) for k, v in data.items()}
    return IdCard(**values)


def decode_photo(photo: bytes, command: str | None, timeout: float = 10.0) -> bytes | None:
    """The card photo as BMP through the vendor's decoder command, or None without one.

    `command` has `{wlt}` and `{bmp}` placeholders, e.g. `wlt2bmp {wlt} {bmp}`; WLT decoding
    needs the vendor's licensed library, which we cannot ship.
    """
    if not command or not photo:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        wlt, bmp = Path(tmp) / "photo.wlt", Path(tmp) / "photo.bmp"
        wlt.write_bytes(photo)
        args = [part.format(wlt=wlt, bmp=bmp) for part in command.split()]
        try:
            subprocess.run(args, check=True, timeout=timeout, capture_output=True)
            return bmp.read_bytes()
        except (OSError, subprocess.SubprocessError):
            return None
