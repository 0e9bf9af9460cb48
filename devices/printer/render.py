"""Documents to ESC/POS bytes.

Text goes through our encoder with the printer's Chinese mode on (`FS &`); python-escpos
builds the QR code (native `GS ( k`, or a raster image for printers without it) and the cut.
"""

from __future__ import annotations

from dataclasses import dataclass

from devices.printer import text
from devices.printer.document import QR, Document, Feed, Printed, layout

INIT = b"\x1b\x40"  # ESC @: forget any state a previous job left
CHINESE_ON = b"\x1c\x26"  # FS &
ALIGN = {"left": b"\x1b\x61\x00", "center": b"\x1b\x61\x01", "right": b"\x1b\x61\x02"}
BOLD = {False: b"\x1b\x45\x00", True: b"\x1b\x45\x01"}
SIZE = {False: b"\x1d\x21\x00", True: b"\x1d\x21\x11"}  # GS ! scales Chinese too


@dataclass(frozen=True)
class Paper:
    """What the configured printer takes."""

    columns: int = 48  # 32 for 58 mm paper, 48 for 80 mm
    codec: str = "gb18030"  # gbk for GBK-only firmware
    qr_native: bool = True  # False: print QR codes as raster images
    chinese_mode: bool = True  # send FS & at the start of every job


def to_escpos(doc: Document, paper: Paper) -> bytes:
    out = bytearray(INIT + (CHINESE_ON if paper.chinese_mode else b""))
    state = ("left", False, False)
    for block in layout(doc, paper.columns):
        if isinstance(block, Printed):
            wanted = (block.align, block.bold, block.big)
            if wanted != state:
                out += ALIGN[block.align] + BOLD[block.bold] + SIZE[block.big]
                state = wanted
            out += text.encode(block.text, paper.codec) + b"\n"
        elif isinstance(block, QR):
            out += ALIGN["center"] + _qr(block, paper.qr_native) + ALIGN[state[0]]
        elif isinstance(block, Feed):
            out += b"\x1b\x64" + bytes([min(block.lines, 255)])
    out += ALIGN["left"] + BOLD[False] + SIZE[False]
    if doc.cut:
        from escpos.printer import Dummy  # loaded on first print: ~0.3 s

        printer = Dummy()
        printer.cut()
        out += printer.output
    return bytes(out)


def _qr(block: QR, native: bool) -> bytes:
    from escpos.printer import Dummy  # loaded on first print: ~0.3 s

    printer = Dummy()
    printer.qr(block.data, native=native, size=block.size)
    return printer.output
