"""Chinese text for ESC/POS: our own encoder and column layout, counted as the printer counts.

python-escpos's "magic" encoding sends a line as GB18030 only when it holds an ideograph, so
`（1）：` or `。` alone print as `?`. We encode every line ourselves with the printer's codec
and count columns as its print head does: a character the codec sends as one byte takes one
column (12 dots of Font A), a double-byte one two, whatever `east_asian_width` says (“ — …
× ° are ambiguous there but double-byte in GBK). A character the printer's font lacks is drawn
as a glyph image two columns wide (see `glyphs.py`), so it takes two as well.
"""

from __future__ import annotations

import re
from functools import lru_cache

from devices.errors import PrinterError

# Characters GBK-only firmware prints as garbage, and what to print instead.
_SUBSTITUTES = str.maketrans({"¥": "￥"})
# Control characters (ESC and GS start printer commands) and bidi/format characters: text
# from data never carries them to the printer. Line breaks are layout, split off before.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
# GBK's user-defined areas: codes a GBK printer's font has no glyph for.
_GBK_USER_AREAS = ((0xAA, 0xAF, 0xA1, 0xFE), (0xF8, 0xFE, 0xA1, 0xFE), (0xA1, 0xA7, 0x40, 0xA0))
# 避头尾: what may not start a line, and what may not end one (GB/T 15834 punctuation rules).
NO_START = set("，。、；：？！）》」』】〕〉〗’”…—·％‰,.;:?!)]}%")
NO_END = set("（《「『【〔〈〖‘“([{")
WORD = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-./:_*")


@lru_cache(maxsize=8192)
def printable(char: str, codec: str = "gbk") -> bool:
    """Whether the printer's own font prints `char` in `codec` (else it is drawn as an image).

    GBK printers have no glyphs in GBK's user-defined areas; GB18030 printers are counted on
    for the Basic Multilingual Plane (GB18030-2005's mandatory part), not the supplementary
    planes where CJK Extensions B to G live."""
    if char in "\n\t":
        return False
    try:
        raw = char.translate(_SUBSTITUTES).encode(codec)
    except UnicodeEncodeError:
        return False
    if len(raw) == 1:
        return 0x20 <= raw[0] < 0x7F
    if len(raw) == 4:
        return ord(char) <= 0xFFFF
    if 0xE000 <= ord(char) <= 0xF8FF:  # private use: no font agrees on these
        return False
    lead, trail = raw
    return not any(a <= lead <= b and c <= trail <= d for a, b, c, d in _GBK_USER_AREAS)


@lru_cache(maxsize=8192)
def cells(char: str, codec: str = "gbk") -> int:
    """Print columns of one character: 1 for a single byte, 2 for double-byte or an image."""
    if not printable(char, codec):
        return 2
    return 1 if len(char.translate(_SUBSTITUTES).encode(codec)) == 1 else 2


def width(text: str, codec: str = "gbk") -> int:
    """Print columns of `text` on a printer using `codec`."""
    return sum(cells(c, codec) for c in text)


def refuse_control(text: str) -> None:
    """A control character in data is refused (`PrinterError`), neither sent nor drawn:
    printer commands cannot be smuggled into a receipt through a name or a note."""
    found = _CONTROL.search(text)
    if found:
        raise PrinterError(
            f"打印内容含有控制字符（U+{ord(found.group()):04X}），已拒绝打印，请核对办件信息"
        )


def encode(text: str, codec: str = "gbk") -> bytes:
    """The printer's bytes for text that is `printable`; the renderer draws the rest."""
    refuse_control(text)
    return text.translate(_SUBSTITUTES).encode(codec, errors="replace")


def runs(text: str, codec: str = "gbk") -> list[tuple[bool, str]]:
    """`text` cut into (printable, piece) runs: pieces the font prints, and single characters
    to draw as images."""
    refuse_control(text)
    out: list[tuple[bool, str]] = []
    for char in text:
        ok = printable(char, codec)
        if ok and out and out[-1][0]:
            out[-1] = (True, out[-1][1] + char)
        else:
            out.append((ok, char))
    return out


def _tokens(paragraph: str, columns: int, codec: str) -> list[str]:
    """Characters, with runs of Latin letters and digits kept whole where they fit a line."""
    tokens: list[str] = []
    for char in paragraph:
        joins = tokens and char in WORD and tokens[-1][-1] in WORD
        if joins and width(tokens[-1] + char, codec) <= columns:
            tokens[-1] += char
        else:
            tokens.append(char)
    return tokens


def wrap(text: str, columns: int, codec: str = "gbk") -> list[str]:
    """Break `text` into lines of at most `columns` print columns. Chinese breaks anywhere,
    except that no line starts with closing punctuation or ends with opening punctuation
    (避头尾): a character or two moves down with it instead."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line: list[str] = []
        for token in _tokens(paragraph, columns, codec):
            if line and width("".join(line) + token, codec) > columns:
                carry = [token]
                while len(line) > 1 and (carry[0][0] in NO_START or line[-1][-1] in NO_END):
                    carry.insert(0, line.pop())
                lines.append("".join(line).rstrip())
                line = carry if carry != [" "] else []
                continue
            line.append(token)
        lines.append("".join(line))
    return lines


def pad(text: str, columns: int, align: str = "left", codec: str = "gbk") -> str:
    gap = max(0, columns - width(text, codec))
    if align == "right":
        return " " * gap + text
    if align == "center":
        return " " * (gap // 2) + text + " " * (gap - gap // 2)
    return text + " " * gap


def label_value(label: str, value: str, columns: int, codec: str = "gbk") -> list[str]:
    """`label：value`; a value that does not fit beside its label goes on its own lines,
    indented, so numbers are never broken in the middle on narrow paper."""
    head = f"{label}："
    if width(head + value, codec) <= columns:
        return [head + value]
    if width(value, codec) <= columns - 2:
        return [head, *("  " + line for line in wrap(value, columns - 2, codec))]
    indent = width(head, codec)
    if columns - indent < 8:
        return [head, *("  " + line for line in wrap(value, columns - 2, codec))]
    body = wrap(value, columns - indent, codec)
    return [head + body[0], *(" " * indent + line for line in body[1:])]


def two_columns(left: str, right: str, columns: int, codec: str = "gbk") -> list[str]:
    """`left` at the start and `right` at the end of the line; a long left side wraps, with
    `right` at the end of its last line (or of a line of its own)."""
    room = columns - width(right, codec) - 1
    if width(left, codec) <= room:
        return [pad(left, columns - width(right, codec), codec=codec) + right]
    lines = wrap(left, columns, codec)
    last = lines[-1]
    if width(last, codec) <= room:
        lines[-1] = pad(last, columns - width(right, codec), codec=codec) + right
    else:
        lines.append(pad(right, columns, "right", codec))
    return lines
