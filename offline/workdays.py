"""Working-day deadlines with the official calendar, make-up workdays (调休) included.

Counting rule (行政许可法 art. 82, and as receipts state it): the day after acceptance is day 1;
the deadline is the date on which the N-th working day falls. A day is a working day by, in
order: the platform's calendar for its year when synced; the packaged `chinese_calendar`
otherwise; when neither covers the year, the statutory holidays by rule (`holidays.py`),
and then the deadline is marked unverified (provisional: the State Council's 调休 is not
known yet) so the clerk and the receipt say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from types import ModuleType
from typing import TYPE_CHECKING, Literal

from offline import holidays

if TYPE_CHECKING:  # `clerk sync status` asks `missing_next_year` without loading the models
    from collections.abc import Collection

    from offline.models import CalendarYear, TimeLimit


@lru_cache(maxsize=1)
def _chinese_calendar() -> ModuleType:
    """The packaged calendar, imported when first asked (0.1 s: not before the desk's login
    screen or for `clerk sync status`, which never count working days)."""
    import chinese_calendar

    return chinese_calendar


def _fallback_version() -> str:
    return f"chinese-calendar-{_chinese_calendar().__version__}"


def __getattr__(name: str) -> str:
    if name == "FALLBACK_VERSION":  # the packaged calendar's version, as cases record it
        return _fallback_version()
    raise AttributeError(name)


UNVERIFIED_VERSION = holidays.RULE_VERSION


@dataclass(frozen=True)
class Deadline:
    due: date
    unit: Literal["workday", "day"]
    count: int
    calendar_version: str
    verified: bool


@lru_cache(maxsize=4096)
def _packaged(day: date) -> tuple[bool, str]:
    """The packaged calendar's answer (it validates each date slowly, hence the cache)."""
    try:
        return _chinese_calendar().is_workday(day), _fallback_version()
    except NotImplementedError:  # the package does not know this year yet
        return holidays.is_workday(day), UNVERIFIED_VERSION


def packaged_knows(year: int) -> bool:
    """Whether the installed holiday package has the official calendar of `year`."""
    try:
        _chinese_calendar().is_workday(date(year, 12, 31))
    except NotImplementedError:  # the package does not know this year yet
        return False
    return True


class WorkCalendar:
    """Decides working days from the synced years, the package, or weekdays."""

    def __init__(self, synced: list[CalendarYear] | None = None) -> None:
        self._years = {y.year: y for y in synced or []}
        self._exceptions = {d.date: d.workday for y in self._years.values() for d in y.days}

    def has_year(self, year: int) -> bool:
        """Whether the platform's calendar for `year` is stored."""
        return year in self._years

    def years(self) -> set[int]:
        """The years whose platform calendar is stored."""
        return set(self._years)

    def is_workday(self, day: date) -> tuple[bool, str]:
        """Whether `day` is a working day, and which calendar said so."""
        synced = self._years.get(day.year)
        if synced:
            return self._exceptions.get(day, day.weekday() < 5), synced.version
        return _packaged(day)

    def deadline(self, start: date, limit: TimeLimit) -> Deadline:
        """The date `limit` after `start` (the acceptance day, which does not count)."""
        if limit.unit == "day":
            return Deadline(start + timedelta(days=limit.count), "day", limit.count, "", True)
        day, counted, versions = start, 0, []
        while counted < limit.count:
            day += timedelta(days=1)
            workday, version = self.is_workday(day)
            if version not in versions:
                versions.append(version)
            counted += workday
        verified = UNVERIFIED_VERSION not in versions
        return Deadline(day, "workday", limit.count, "+".join(versions), verified)

    def workdays_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (negative when overdue)."""
        sign, (low, high) = (1, (start, end)) if end >= start else (-1, (end, start))
        days = (low + timedelta(days=i) for i in range(1, (high - low).days + 1))
        return sign * sum(self.is_workday(d)[0] for d in days)


def missing_next_year(synced: Collection[int], today: date) -> str | None:
    """From November on, what to tell the admin when next year's official calendar is known
    neither from the platform (`synced`: the years it gave) nor from the package (the State
    Council publishes it then)."""
    year = today.year + 1
    if today.month < 11 or year in synced or packaged_knows(year):
        return None
    return (
        f"尚未取得{year}年官方节假日安排：{year}年的办结期限按法定节假日规则推算，"
        "回执标注“节假日安排未核验”；请同步平台日历（clerk sync）或升级 chinesecalendar"
    )
