"""Documents to ESC/POS bytes.

Text goes through our encoder with the printer's Chinese mode on (`FS &`); python-escpos
builds the QR code (native `GS ( k`, or a raster image for printers without it) and the cut.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from devices.printer import glyphs, text
from devices.printer.document import QR, Document, Feed, Printed, layout

if TYPE_CHECKING:
    from escpos.printer import Dummy

log = logging.getLogger("devices.printer")
INIT = b"\x1b\x40"  # ESC @: forget any state a previous job left
CHINESE_ON = b"\x1c\x26"  # FS &
ALIGN = {"left": b"\x1b\x61\x00", "center": b"\x1b\x61\x01", "right": b"\x1b\x61\x02"}
BOLD = {False: b"\x1b\x45\x00", True: b"\x1b\x45\x01"}
SIZE = {False: b"\x1d\x21\x00", True: b"\x1d\x21\x11"}  # GS ! scales Chinese too


@dataclass(frozen=True)
class Paper:
    """What the configured printer takes."""

    columns: int = 48  # 32 for 58 mm paper, 48 for 80 mm
    codec: str = "gbk"  # or gb18030 for printers whose font has GB18030's characters
    glyph_font: str | None = None  # font for characters the printer lacks (None: installed)
    qr_native: bool = True  # False: print QR codes as raster images
    chinese_mode: bool = True  # send FS & at the start of every job


def to_escpos(doc: Document, paper: Paper) -> bytes:
    out = bytearray(INIT + (CHINESE_ON if paper.chinese_mode else b""))
    state = ("left", False, False)
    for block in layout(doc, paper.columns, paper.codec):
        if isinstance(block, Printed):
            wanted = (block.align, block.bold, block.big)
            if wanted != state:
                out += ALIGN[block.align] + BOLD[block.bold] + SIZE[block.big]
                state = wanted
            out += _line(block, paper) + b"\n"
        elif isinstance(block, QR):
            out += ALIGN["center"] + _qr(block, paper.qr_native) + ALIGN[state[0]]
        elif isinstance(block, Feed):
            out += b"\x1b\x64" + bytes([min(block.lines, 255)])
    out += ALIGN["left"] + BOLD[False] + SIZE[False]
    if doc.cut:
        printer = _dummy()
        printer.cut()
        out += printer.output
    return bytes(out)


def _line(block: Printed, paper: Paper) -> bytes:
    """A line's bytes: text in the printer's codec, characters its font lacks as inline glyph
    images; a big line holding such a character prints as one image at double size."""
    pieces = text.runs(block.text, paper.codec)
    if all(ok for ok, _ in pieces):
        return text.encode(block.text, paper.codec)
    if block.big:
        image = glyphs.draw_line(block.text, paper.codec, 24, 48, paper.glyph_font)
        return glyphs.raster(image)
    return b"".join(
        text.encode(piece, paper.codec) if ok else _glyph(piece, paper) for ok, piece in pieces
    )


def _glyph(char: str, paper: Paper) -> bytes:
    """The glyph image of `char`; a box (□, two columns like the image) when no installed font
    has it, so the paper still prints and shows where a character is missing."""
    try:
        return glyphs.glyph_bytes(char, paper.glyph_font)
    except glyphs.MissingGlyph:
        log.warning("no font draws U+%04X; printed as a box", ord(char))
        return text.encode(glyphs.NO_GLYPH, paper.codec)


def _qr(block: QR, native: bool) -> bytes:
    printer = _dummy()
    printer.qr(block.data, native=native, size=block.size)
    return printer.output


def _dummy() -> Dummy:
    """python-escpos's in-memory printer, loaded on first print (its database cached)."""
    from devices.printer import capabilities

    capabilities.load()
    from escpos.printer import Dummy

    return Dummy()
