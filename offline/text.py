"""Clean text: what may be in a string that a clerk typed, a card gave or the platform sent.

Control characters (C0 and C1) break the case list and the terminal, and reach the
receipt printer's byte stream, where ESC and GS start printer commands. Format characters
(bidi overrides such as U+202E, zero-width characters, the BOM) make a name read differently
from what is stored. Both are refused wherever text enters a model; a line break is allowed
only in fields meant to hold several lines (notes, comments, reasons).
"""

from __future__ import annotations

import re
from typing import Any

from usererror import UserError

# Unicode categories Cc, Cf, Zl, Zp and the surrogates (Unicode 14), as ranges: computing
# them from `unicodedata` at import would cost a tenth of a second at every start.
_C0 = "\x00-\x1f"
_C0_BUT_LINE_FEED = "\x00-\x09\x0b-\x1f"
_OTHERS = (
    "\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
)
_BAD = re.compile(f"[{_C0}{_OTHERS}]")
_BAD_IN_LINES = re.compile(f"[{_C0_BUT_LINE_FEED}{_OTHERS}]")


class UncleanText(UserError, ValueError):
    """A string with a control or format character; `str()` is the clerk's message."""


def problem(text: str, multiline: bool = False) -> str | None:
    """The Chinese reason `text` is refused, or None when it is clean."""
    found = (_BAD_IN_LINES if multiline else _BAD).search(text)
    if found is None:
        return None
    return f"含有不可见的控制字符或格式字符（U+{ord(found.group()):04X}），请删除后重新输入"


def check(value: Any, multiline: bool = False) -> None:
    """Refuse `value` (a string, or lists and dicts of them, keys included) if any string in
    it is not clean; `UncleanText` names the first bad character."""
    if isinstance(value, str):
        reason = problem(value, multiline)
        if reason:
            raise UncleanText(reason)
    elif isinstance(value, dict):
        for key, item in value.items():
            check(key)
            check(item, multiline)
    elif isinstance(value, (list, tuple)):
        for item in value:
            check(item, multiline)
