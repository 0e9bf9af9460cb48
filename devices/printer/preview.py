"""A preview of any document as text (for the desk and the logs) and as PNG (for docs).

Both come from the same layout as the ESC/POS bytes, so what the preview shows is what the
printer prints, line for line.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from devices.printer import text
from devices.printer.document import QR, Document, Feed, Printed, layout

_FONTS = [
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
]


def to_text(doc: Document, columns: int) -> str:
    """The document as it would print, with a frame showing the paper's width."""
    rows = []
    for block in layout(doc, columns):
        if isinstance(block, Printed):
            shown = block.text if not block.big else " ".join(block.text)
            rows.append(text.pad(shown, columns, block.align))
        elif isinstance(block, QR):
            label = f"[二维码 {block.data}]"
            rows.append(
                text.pad(label if text.width(label) <= columns else "[二维码]", columns, "center")
            )
        elif isinstance(block, Feed):
            rows += [""] * block.lines
    edge = "+" + "-" * columns + "+"
    body = [f"|{text.pad(row, columns)}|" for row in rows]
    return "\n".join([edge, *body, edge + (" ✂" if doc.cut else "")])


def cjk_font() -> str | None:
    """A font file with Chinese glyphs: a known path, else what fontconfig suggests."""
    found = next((f for f in _FONTS if Path(f).exists()), None)
    if found or not shutil.which("fc-match"):
        return found
    out = subprocess.run(
        ["fc-match", "-f", "%{file}", ":lang=zh"], capture_output=True, text=True
    ).stdout.strip()
    return out or None


def to_png(doc: Document, columns: int, path: Path, font_path: str | None = None) -> Path:
    """Render the document on a white strip 12 px per column, QR codes included."""
    import qrcode
    from PIL import Image, ImageDraw, ImageFont

    cell, line_height = 12, 28
    font_file = font_path or cjk_font()
    font = ImageFont.truetype(font_file, 22) if font_file else ImageFont.load_default()
    big = ImageFont.truetype(font_file, 44) if font_file else font
    blocks = layout(doc, columns)
    images = {
        id(b): qrcode.make(b.data, box_size=4, border=2).get_image()
        for b in blocks
        if isinstance(b, QR)
    }
    height = 20 + sum(_height(b, images, line_height) for b in blocks)
    page = Image.new("RGB", (columns * cell + 40, height), "white")
    draw, y = ImageDraw.Draw(page), 10
    for block in blocks:
        if isinstance(block, Printed):
            face = big if block.big else font
            span = text.width(block.text) * cell * (2 if block.big else 1)
            x = (
                20
                + {
                    "left": 0,
                    "center": (columns * cell - span) // 2,
                    "right": columns * cell - span,
                }[block.align]
            )
            draw.text(
                (x, y),
                block.text,
                fill="black",
                font=face,
                stroke_width=1 if block.bold else 0,
                stroke_fill="black",
            )
        elif isinstance(block, QR):
            image = images[id(block)]
            page.paste(image, ((page.width - image.width) // 2, y))
        y += _height(block, images, line_height)
    page.save(path)
    return path


def _height(block: object, images: dict, line_height: int) -> int:
    if isinstance(block, Printed):
        return line_height * (2 if block.big else 1)
    if isinstance(block, QR):
        return images[id(block)].height + 6
    return line_height * block.lines if isinstance(block, Feed) else 0
