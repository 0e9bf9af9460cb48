"""Characters the printer's font lacks, drawn as images of their glyphs.

Real names hold characters beyond GBK (𬌗 is in CJK Extension E, 䶮 in GBK's user area). They
are drawn with a font that covers CJK Extensions A to G (BabelStone Han, Debian
`fonts-babelstone-han`; HanaMin from `fonts-hanazono` also serves) and sent inline with
`ESC * 33`, a 24-dot bit image in the text line, as wide as two columns of Font A. The previews
draw every line cell by cell with the same fonts, so a preview shows what the paper shows.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from devices.errors import DeviceError

if TYPE_CHECKING:
    from PIL.Image import Image
    from PIL.ImageFont import FreeTypeFont

RARE_FONTS = (
    "/usr/share/fonts/truetype/babelstone/BabelStoneHan.ttf",
    "/usr/share/fonts/truetype/hanazono/HanaMinB.ttf",
    "/usr/share/fonts/truetype/hanazono/HanaMinA.ttf",
)
TEXT_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)
NO_GLYPH = "□"  # printed where no installed font has the character (GBK A1F5, two columns)
DOTS = 24  # Font A's Chinese character: 24 x 24 dots, two 12-dot columns
ESC_STAR_24 = b"\x1b\x2a\x21"  # ESC * 33: 24-dot double-density bit image


class MissingGlyph(DeviceError):
    """No installed font draws a character the printer's font lacks."""


def _fc_match(spec: str) -> str | None:
    if not shutil.which("fc-match"):
        return None
    out = subprocess.run(["fc-match", "-f", "%{file}", spec], capture_output=True, text=True)
    return out.stdout.strip() or None


def text_font_file() -> str | None:
    """A font file with Chinese glyphs for the previews: a known path, else fontconfig's."""
    return next((f for f in TEXT_FONTS if Path(f).exists()), None) or _fc_match(":lang=zh")


@lru_cache(maxsize=16)
def _font(path: str, size: int) -> FreeTypeFont:
    from PIL import ImageFont

    return ImageFont.truetype(path, size)


def has_glyph(path: str, char: str) -> bool:
    """Whether the font at `path` draws `char` (not its empty box for missing glyphs)."""
    font = _font(path, DOTS)
    return bytes(font.getmask(char)) != bytes(font.getmask("\U0010fffd"))


@lru_cache(maxsize=4096)
def font_for(char: str, preferred: str | None = None) -> str:
    """The first installed font that draws `char`: `preferred`, then the rare-character fonts,
    then the text fonts."""
    candidates = [preferred, *RARE_FONTS, text_font_file()]
    for path in candidates:
        if path and Path(path).exists() and has_glyph(path, char):
            return path
    raise MissingGlyph(
        f"没有字体能打印“{char}”（U+{ord(char):04X}），请安装 fonts-babelstone-han 字体"
    )


def draw(char: str, size: int = DOTS, font_file: str | None = None) -> Image:
    """`char` as a black-on-white `size` x `size` image, centred."""
    from PIL import Image, ImageDraw

    font = _font(font_for(char, font_file), size)  # MissingGlyph when no font has it
    left, top, right, bottom = font.getbbox(char)
    x = (size - (right - left)) // 2 - left
    y = (size - (bottom - top)) // 2 - top
    image = Image.new("L", (size, size), 255)
    ImageDraw.Draw(image).text((x, y), char, fill=0, font=font)
    return image.point(lambda v: 0 if v < 128 else 255, "1")


def esc_star(image: Image) -> bytes:
    """`ESC * 33` for a 24-dot-high image: column by column, three bytes each, top bit first."""
    assert image.height == DOTS, "ESC * 33 draws 24 dots high"
    pixels = image.convert("1").load()
    assert pixels is not None
    data = bytearray()
    for x in range(image.width):
        for band in range(3):
            byte = 0
            for bit in range(8):
                if pixels[x, band * 8 + bit] == 0:
                    byte |= 0x80 >> bit
            data.append(byte)
    return ESC_STAR_24 + image.width.to_bytes(2, "little") + bytes(data)


def glyph_bytes(char: str, font_file: str | None = None) -> bytes:
    """The inline image that prints `char` in a text line."""
    return esc_star(draw(char, DOTS, font_file))


def raster(image: Image) -> bytes:
    """`GS v 0`: a raster image on lines of its own (a big line holding a rare character)."""
    image = image.convert("1")
    row_bytes = (image.width + 7) // 8
    pixels = image.load()
    assert pixels is not None
    data = bytearray()
    for y in range(image.height):
        for col in range(row_bytes):
            byte = 0
            for bit in range(8):
                x = col * 8 + bit
                if x < image.width and pixels[x, y] == 0:
                    byte |= 0x80 >> bit
            data.append(byte)
    head = row_bytes.to_bytes(2, "little") + image.height.to_bytes(2, "little")
    return b"\x1d\x76\x30\x00" + head + bytes(data)


def draw_line(line: str, codec: str, cell: int, height: int, font_file: str | None = None) -> Image:
    """One printed line, cell by cell as the printer lays it out: each character in its
    columns (`cell` pixels each), from the text font or, where the printer's font lacks it,
    the rare-character font."""
    from PIL import Image, ImageDraw

    from devices.printer import text

    image = Image.new("L", (max(1, text.width(line, codec)) * cell, height), 255)
    canvas, x = ImageDraw.Draw(image), 0
    body = text_font_file()
    for char in line:
        span = text.cells(char, codec) * cell
        if not char.isspace():
            use_body = body and text.printable(char, codec) and has_glyph(body, char)
            try:
                path = body if use_body else font_for(char, font_file)
            except MissingGlyph:
                char, path = NO_GLYPH, body
            if path is None:  # no Chinese font at all: nothing to draw this character with
                x += span
                continue
            font = _font(path, min(height - 2, 2 * cell))
            left, _, right, _ = font.getbbox(char)
            _, top, _, bottom = font.getbbox("中")
            y = (height - (bottom - top)) // 2 - top  # one baseline for the whole line
            canvas.text((x + (span - (right - left)) // 2 - left, y), char, fill=0, font=font)
        x += span
    return image
