"""A printable document: what a receipt says, independent of paper width and printer.

Documents are built by `clerk/receipts.py` from domain data; `layout` turns one into lines for
a paper width, and the ESC/POS renderer and the previews all draw from that one layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from devices.printer import text

Align = Literal["left", "center", "right"]
PAPER_COLUMNS = {58: 32, 80: 48}  # Font A columns of 58 mm and 80 mm paper


@dataclass(frozen=True)
class Line:
    text: str
    align: Align = "left"
    bold: bool = False
    big: bool = False  # double width and height


@dataclass(frozen=True)
class Field:
    """`label：value`, the value wrapped under itself."""

    label: str
    value: str


@dataclass(frozen=True)
class Columns:
    left: str
    right: str


@dataclass(frozen=True)
class Rule:
    char: str = "-"


@dataclass(frozen=True)
class Sign:
    """A line to sign on: `label` then a rule to the paper's edge, after room to write."""

    label: str


@dataclass(frozen=True)
class QR:
    data: str
    size: int = 6  # module size in dots


@dataclass(frozen=True)
class Feed:
    lines: int = 1


Element = Line | Field | Columns | Rule | Sign | QR | Feed


@dataclass(frozen=True)
class Document:
    name: str  # what the job is called in the queue and the logs, e.g. 受理回执
    elements: tuple[Element, ...]
    cut: bool = True


@dataclass(frozen=True)
class Printed:
    """One laid-out line of text."""

    text: str
    align: Align = "left"
    bold: bool = False
    big: bool = False


Block = Printed | QR | Feed


def layout(doc: Document, columns: int, codec: str = "gbk") -> list[Block]:
    """The document as lines that fit `columns` print columns of a printer using `codec`
    (widths as that printer counts them), plus QR codes and feeds."""
    out: list[Block] = []
    for element in doc.elements:
        match element:
            case Line(value, align, bold, big):
                room = columns // 2 if big else columns
                out += [Printed(line, align, bold, big) for line in text.wrap(value, room, codec)]
            case Field(label, value):
                out += [Printed(line) for line in text.label_value(label, value, columns, codec)]
            case Columns(left, right):
                out += [Printed(line) for line in text.two_columns(left, right, columns, codec)]
            case Rule(char):
                out.append(Printed(char * (columns // text.width(char, codec))))
            case Sign(label):
                rest = max(columns - text.width(label, codec), 0)
                out += [Feed(1), Printed(label + "_" * rest)]
            case QR() | Feed():
                out.append(element)
    return out
