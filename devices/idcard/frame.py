"""SAM frames: `AA AA AA 96 69 | LEN(2, big-endian) | body | XOR`.

LEN counts the body and the checksum; the checksum is the XOR of LEN and body. Commands carry
CMD PARA [DATA]; responses carry SW1 SW2 SW3 [DATA]. `FrameReader` finds frames in any byte
stream: garbage before a preamble is skipped, bad lengths and checksums are reported, and no
byte sequence makes it raise anything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
MAX_BODY = 4096  # the largest real reply (text + photo + fingerprint) is 2321 bytes

# Commands (CMD, PARA)
RESET = (0x10, 0xFF)
STATUS = (0x11, 0xFF)
SAM_ID = (0x12, 0xFF)
FIND = (0x20, 0x01)
SELECT = (0x20, 0x02)
READ = (0x30, 0x01)
READ_ADDRESS = (0x30, 0x03)  # 追加住址: the address after a move, written on the chip later

# SW3 status codes of the reader
OK, FOUND, NO_CARD, NO_CONTENT = 0x90, 0x9F, 0x80, 0x91
STATUS_TEXT = {
    0x90: "操作成功",
    0x9F: "寻找证卡成功",
    0x10: "读卡器收到的数据校验和错误",
    0x11: "读卡器收到的数据长度错误",
    0x21: "读卡器收到的命令错误",
    0x23: "越权操作",
    0x24: "无法识别的错误",
    0x31: "证卡认证读卡器失败",
    0x32: "读卡器认证证卡失败",
    0x33: "信息验证错误",
    0x40: "无法识别的卡类型",
    0x41: "读证卡失败",
    0x47: "取随机数失败",
    0x60: "读卡模块自检失败",
    0x66: "读卡模块未经授权",
    0x80: "未放卡",
    0x81: "选卡失败",
    0x91: "证卡中此项无内容",
}


def xor(data: bytes) -> int:
    return reduce(lambda a, b: a ^ b, data, 0)


def command(cmd: int, para: int, data: bytes = b"") -> bytes:
    """A complete command frame, e.g. `command(*FIND)` → `AA AA AA 96 69 00 03 20 01 22`."""
    return _frame(bytes([cmd, para]) + data)


def response(sw3: int, data: bytes = b"", sw1: int = 0, sw2: int = 0) -> bytes:
    """A complete response frame (what a reader, or our simulator, sends)."""
    return _frame(bytes([sw1, sw2, sw3]) + data)


def _frame(body: bytes) -> bytes:
    length = (len(body) + 1).to_bytes(2, "big")
    return PREAMBLE + length + body + bytes([xor(length + body)])


@dataclass(frozen=True)
class Frame:
    """A frame's body: CMD PARA DATA for commands, SW1 SW2 SW3 DATA for responses."""

    body: bytes

    @property
    def sw3(self) -> int:
        return self.body[2]

    @property
    def data(self) -> bytes:
        return self.body[3:]

    @property
    def command(self) -> tuple[int, int]:
        return self.body[0], self.body[1]


@dataclass(frozen=True)
class BadFrame:
    """A framed chunk that failed its checks; the reader skips it and says why."""

    reason: str


class FrameReader:
    """Incremental frame parser: feed bytes as they arrive, take frames out as they complete."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, chunk: bytes) -> list[Frame | BadFrame]:
        self._buffer += chunk
        out: list[Frame | BadFrame] = []
        while (item := self._next()) is not None:
            out.append(item)
        return out

    def _next(self) -> Frame | BadFrame | None:
        start = self._buffer.find(PREAMBLE)
        if start < 0:
            del self._buffer[: max(0, len(self._buffer) - len(PREAMBLE) + 1)]  # keep a tail
            return None
        del self._buffer[:start]
        if len(self._buffer) < 7:
            return None
        length = int.from_bytes(self._buffer[5:7], "big")
        if not 2 <= length <= MAX_BODY + 1:
            del self._buffer[:5]  # a false preamble or a corrupt length: resynchronise after it
            return BadFrame(f"长度字段无效（{length}）")
        if len(self._buffer) < 7 + length:
            return None
        raw = bytes(self._buffer[5 : 7 + length])
        if xor(raw[:-1]) != raw[-1]:
            del self._buffer[:5]
            return BadFrame("校验和错误")
        del self._buffer[: 7 + length]
        return Frame(raw[2:-1])
