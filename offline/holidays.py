"""Statutory public holidays by rule, for a year whose official calendar is not known yet.

《全国年节及纪念日放假办法》 as revised in 2024 (in force from 2025) gives everyone 13 days:
元旦 (1 January), 春节 (除夕 and the first three days of the lunar year), 清明 (the day of the
solar term), 劳动节 (1-2 May), 端午 (lunar 5/5), 中秋 (lunar 8/15) and 国庆 (1-3 October). A
holiday that falls on a weekend is made up on the next working day (补假). The lunar dates
and the solar term come from lunar-python (6tail's lunar library).

What no rule gives is the State Council's yearly 调休 (weekends swapped to make long breaks),
published each November; so a year computed here is *provisional* and the platform's
calendar, once synced, replaces it.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

RULE_VERSION = "statutory-rule-2024"


def _solar(lunar_year: int, month: int, day: int) -> date:
    from lunar_python import Lunar

    solar = Lunar.fromYmd(lunar_year, month, day).getSolar()
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def _qingming(year: int) -> date:
    from lunar_python import Lunar

    term = Lunar.fromYmd(year, 1, 1).getJieQiTable()["清明"]
    return date(term.getYear(), term.getMonth(), term.getDay())


def statutory(year: int) -> dict[date, str]:
    """The 13 statutory holiday days of `year` (Gregorian), by name."""
    new_year = _solar(year, 1, 1)
    days = {date(year, 1, 1): "元旦"}
    days |= {new_year + timedelta(days=n): "春节" for n in range(-1, 3)}
    days[_qingming(year)] = "清明节"
    days |= {date(year, 5, 1): "劳动节", date(year, 5, 2): "劳动节"}
    days[_solar(year, 5, 5)] = "端午节"
    days[_solar(year, 8, 15)] = "中秋节"
    days |= {date(year, 10, d): "国庆节" for d in (1, 2, 3)}
    return {d: name for d, name in days.items() if d.year == year}


@lru_cache(maxsize=16)
def days_off(year: int) -> dict[date, str]:
    """Every weekday off in `year` by rule: the statutory days, and a day of 补假 after a
    holiday that fell on a Saturday or Sunday."""
    holidays = statutory(year) | statutory(year - 1) | statutory(year + 1)
    off = {d: name for d, name in holidays.items() if d.weekday() < 5}
    for day, name in sorted(holidays.items()):
        if day.weekday() < 5:
            continue
        make_up = day + timedelta(days=1)
        while make_up.weekday() >= 5 or make_up in off or make_up in holidays:
            make_up += timedelta(days=1)
        off[make_up] = f"{name}补假"
    return {d: name for d, name in off.items() if d.year == year}


def is_workday(day: date) -> bool:
    """Monday to Friday, except the statutory holidays and their 补假, by rule."""
    return day.weekday() < 5 and day not in days_off(day.year)
