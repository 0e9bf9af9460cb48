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
}


@dataclass
class Printout:
    lines: list[str] = field(default_factory=list)
    qr: list[str] = field(default_factory=list)
    images: int = 0
    cuts: int = 0
    status_queries: list[int] = field(default_factory=list)
    chinese_mode: bool = False

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def decode(data: bytes, codec: str = "gb18030") -> Printout:
    out, line, i = Printout(), bytearray(), 0
    while i < len(data):
        two = data[i : i + 2]
        if data[i] == 0x0A:
            out.lines.append(line.decode(codec, errors="replace"))
            line.clear()
            i += 1
        elif two in _FIXED:
            if two == b"\x10\x04":
                out.status_queries.append(data[i + 2] if i + 2 < len(data) else -1)
            out.chinese_mode |= two == b"\x1c\x26"
            i += 2 + _FIXED[two]
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
            line.append(data[i])
            i += 1
    if line:
        out.lines.append(line.decode(codec, errors="replace"))
    return out
