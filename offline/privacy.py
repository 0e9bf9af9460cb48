"""Masking of personal data for screens others can see, receipts and logs.

One format everywhere: keep the first 4 and last 4 characters of an identifier
(`3302**********1234`), the first 3 and last 4 digits of a phone, the surname of a name.
"""

from __future__ import annotations

import re

# 15/18-character resident IDs, residence permits, 2023 foreign cards and credit codes,
# 2017 foreign cards (3 letters + 12 digits), and mainland mobile numbers.
_SECRETS = re.compile(
    r"(?<![0-9A-Za-z])("
    r"\d{17}[\dXx]|\d{15}"
    r"|[0-9A-HJ-NP-RTUWXY]{2}\d{6}[0-9A-HJ-NP-RTUWXY]{10}"
    r"|[A-Z]{3}\d{12}"
    r"|1[3-9]\d{9}"
    r")(?![0-9A-Za-z])"
)


def mask_id(number: str | None) -> str:
    """`330212198001011234` → `3302**********1234`; short values are masked whole."""
    if not number:
        return ""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_phone(number: str | None) -> str:
    """`13800001234` → `138****1234`."""
    if not number:
        return ""
    if len(number) <= 7:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def mask_name(name: str | None) -> str:
    """`张三` → `张*`, `欧阳小明` → `欧***`: the surname stays so the citizen recognises it."""
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1)


def scrub(text: str) -> str:
    """Mask every identifier or mobile number found in free text (logs, error messages)."""

    def hide(match: re.Match[str]) -> str:
        value = match.group(1)
        return mask_phone(value) if len(value) == 11 else mask_id(value)

    return _SECRETS.sub(hide, text)
