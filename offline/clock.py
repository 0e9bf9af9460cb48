"""Local time of the service centre. China keeps one offset and no daylight saving."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

CN_TZ = timezone(timedelta(hours=8), "CST")


def now() -> datetime:
    """The current time at +08:00, to the second, as receipts and the platform show it."""
    return datetime.now(CN_TZ).replace(microsecond=0)
