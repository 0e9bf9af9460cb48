"""A preview of any document as text (for the desk and the logs) and as PNG (for docs).

Both come from the same layout as the ESC/POS bytes and measure with the printer's codec, so
what the preview shows is what the printer prints, line for line; the PNG draws each
character in the columns the printer gives it, rare ones from the glyph font.
"""

from __future__ import annotations

from pathlib import Path

from devices.printer import glyphs, text
from devices.printer.document import QR, Document, Feed, Printed, layout

CELL, LINE = 12, 28  # pixels per print column and per line: Font A's 12 x 24 dots, spaced


def to_text(doc: Document, columns: int, codec: str = "gbk") -> str:
    """The document as it would print, with a frame showing the paper's width."""
    rows = []
    for block in layout(doc, columns, codec):
        if isinstance(block, Printed):
            shown = block.text if not block.big else " ".join(block.text)
            rows.append(text.pad(shown, columns, block.align, codec))
        elif isinstance(block, QR):
            label = f"[二维码 {block.data}]"
            fits = text.width(label, codec) <= columns
            rows.append(text.pad(label if fits else "[二维码]", columns, "center", codec))
        elif isinstance(block, Feed):
            rows += [""] * block.lines
    edge = "+" + "-" * columns + "+"
    body = [f"|{text.pad(row, columns, codec=codec)}|" for row in rows]
    return "\n".join([edge, *body, edge + (" ✂" if doc.cut else "")])


def to_png(
    doc: Document, columns: int, path: Path, codec: str = "gbk", font_path: str | None = None
) -> Path:
    """Render the document on a white strip `CELL` pixels per column, QR codes included."""
    import qrcode
    from PIL import Image, ImageOps

    strips = []
    for block in layout(doc, columns, codec):
        if isinstance(block, Printed):
            scale = 2 if block.big else 1
            line = glyphs.draw_line(block.text, codec, CELL * scale, LINE * scale, font_path)
            if block.bold:
                line = ImageOps.invert(ImageOps.invert(line).point(lambda v: min(255, v * 2)))
            strips.append((line, block.align))
        elif isinstance(block, QR):
            image = qrcode.make(block.data, box_size=4, border=2).get_image().convert("L")
            strips.append((image, "center"))
        elif isinstance(block, Feed):
            strips.append((Image.new("L", (1, LINE * block.lines), 255), "left"))
    width = columns * CELL
    page = Image.new("L", (width + 40, 20 + sum(s.height + 2 for s, _ in strips)), 255)
    y = 10
    for strip, align in strips:
        x = {"left": 0, "center": (width - strip.width) // 2, "right": width - strip.width}[align]
        page.paste(strip, (20 + max(x, 0), y))
        y += strip.height + 2
    page.save(path)
    return path
