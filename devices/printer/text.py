"""Chinese text for ESC/POS: our own encoder and column layout.

python-escpos's "magic" encoding sends a line as GB18030 only when it holds an ideograph, so
`（1）：` or `。` alone print as `?`. We encode every line ourselves with the configured codec
and count columns the way the print head does: a Chinese character is two columns wide.
"""

from __future__ import annotations

import unicodedata

# Characters GBK-only firmware prints as garbage, and what to print instead.
_SUBSTITUTES = str.maketrans({"¥": "￥", "\u2014": "—"})


def width(text: str) -> int:
    """Print columns of `text`: wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def encode(text: str, codec: str = "gb18030") -> bytes:
    """The printer's bytes for `text`; what the codec cannot hold prints as `?`."""
    return text.translate(_SUBSTITUTES).encode(codec, errors="replace")


def wrap(text: str, columns: int) -> list[str]:
    """Break `text` into lines of at most `columns` print columns (Chinese breaks anywhere)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for char in paragraph:
            if width(line + char) > columns:
                lines.append(line)
                line = ""
            line += char
        lines.append(line)
    return lines


def pad(text: str, columns: int, align: str = "left") -> str:
    gap = max(0, columns - width(text))
    if align == "right":
        return " " * gap + text
    if align == "center":
        return " " * (gap // 2) + text + " " * (gap - gap // 2)
    return text + " " * gap


def label_value(label: str, value: str, columns: int) -> list[str]:
    """`label：value`; a value that does not fit beside its label goes on its own lines,
    indented, so numbers are never broken in the middle on narrow paper."""
    head = f"{label}："
    if width(head + value) <= columns:
        return [head + value]
    if width(value) <= columns - 2:
        return [head, *("  " + line for line in wrap(value, columns - 2))]
    indent = width(head)
    body = wrap(value, max(8, columns - indent))
    return [head + body[0], *(" " * indent + line for line in body[1:])]


def two_columns(left: str, right: str, columns: int) -> str:
    """`left` at the start and `right` at the end of one line (right wins when too long)."""
    room = columns - width(right) - 1
    while width(left) > room and left:
        left = left[:-1]
    return pad(left, columns - width(right)) + right
