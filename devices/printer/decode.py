"""ESC/POS bytes back to what a printer would print: text lines, QR data, images, cuts.

The simulator uses it for its preview and the tests to check what really went to the printer.
It knows the commands this project sends; other bytes are printed as text, as a printer would.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# command prefix → number of parameter bytes that follow it
_FIXED = {
    b"\x1b\x40": 0,
    b"\x1c\x26": 0,
    b"\x1c\x2e": 0,
    b"\x1b\x61": 1,
    b"\x1b\x45": 1,
    b"\x1d\x21": 1,
    b"\x1b\x64": 1,
    b"\x1b\x74": 1,
    b"\x1b\x2d": 1,
    b"\x1b\x21": 1,
    b"\x10\x04": 1,
    b"\x1b\x4d": 1,
    b"\x1d\x42": 1,
    b"\x1d\x62": 1,
    b"\x1b\x7b": 1,
    b"\x1b\x33": 1,
}


GLYPH = "\ufffc"  # where a line holds an inline image (a glyph the printer's font lacks)


@dataclass(frozen=True)
class Glyph:
    """An inline `ESC *` 24-dot image: its width in dots and its column bytes."""

    width: int
    columns: bytes

    def ink(self, x: int, y: int) -> bool:
        return bool(self.columns[x * 3 + y // 8] & (0x80 >> (y % 8)))

    def rows(self) -> list[str]:
        """The image as text, `#` for ink: for a person reading a failed test."""
        return [
            "".join("#" if self.ink(x, y) else "." for x in range(self.width)) for y in range(24)
        ]


@dataclass
class Printout:
    lines: list[str] = field(default_factory=list)
    qr: list[str] = field(default_factory=list)
    images: int = 0
    glyphs: list[Glyph] = field(default_factory=list)
    cuts: int = 0
    status_queries: list[int] = field(default_factory=list)
    chinese_mode: bool = False

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def decode(data: bytes, codec: str = "gb18030") -> Printout:
    out, line, i = Printout(), _Line(codec), 0
    while i < len(data):
        two = data[i : i + 2]
        if data[i] == 0x0A:
            out.lines.append(line.take())
            i += 1
        elif two in _FIXED:
            if two == b"\x10\x04":
                out.status_queries.append(data[i + 2] if i + 2 < len(data) else -1)
            out.chinese_mode |= two == b"\x1c\x26"
            i += 2 + _FIXED[two]
        elif two == b"\x1b\x2a":  # ESC * m nL nH d...: bit image in the text line
            mode, dots = data[i + 2], data[i + 3] + 256 * data[i + 4]
            size = dots * (3 if mode in (32, 33) else 1)
            out.glyphs.append(Glyph(dots, bytes(data[i + 5 : i + 5 + size])))
            line.image()
            i += 5 + size
        elif two == b"\x1d\x56":  # GS V m [n]: cut
            out.cuts += 1
            i += 4 if i + 2 < len(data) and data[i + 2] in (0x41, 0x42, 65, 66) else 3
        elif data[i : i + 3] == b"\x1d\x28\x6b":  # GS ( k pL pH cn fn ...: QR
            size = data[i + 3] + 256 * data[i + 4]
            body = data[i + 5 : i + 5 + size]
            if body[:2] == b"\x31\x50":
                out.qr.append(body[3:].decode("utf-8", errors="replace"))
            i += 5 + size
        elif data[i : i + 3] == b"\x1d\x76\x30":  # GS v 0 m xL xH yL yH: raster image
            width = data[i + 4] + 256 * data[i + 5]
            height = data[i + 6] + 256 * data[i + 7]
            out.images += 1
            i += 8 + width * height
        else:
            line.raw.append(data[i])
            i += 1
    if line.raw or line.done:
        out.lines.append(line.take())
    return out


class _Line:
    """The line being printed: decoded text so far, the bytes since, images between."""

    def __init__(self, codec: str) -> None:
        self.codec, self.done, self.raw = codec, "", bytearray()

    def image(self) -> None:
        self.done += self.raw.decode(self.codec, errors="replace") + GLYPH
        self.raw.clear()

    def take(self) -> str:
        text = self.done + self.raw.decode(self.codec, errors="replace")
        self.done, self.raw = "", bytearray()
        return text
