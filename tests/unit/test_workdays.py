"""Working-day deadlines over the 2026 National Day holiday and its make-up workdays."""

from datetime import date

import pytest

from offline.models import CalendarDay, CalendarYear, TimeLimit
from offline.workdays import FALLBACK_VERSION, UNVERIFIED_VERSION, WorkCalendar

WORKDAYS = lambda n: TimeLimit(unit="workday", count=n)  # noqa: E731


def test_national_day_holiday_is_skipped():
    # accepted Wed 30 Sep; 1-7 Oct holiday; Sat 10 Oct is a make-up workday
    d = WorkCalendar().deadline(date(2026, 9, 30), WORKDAYS(3))
    assert d.due == date(2026, 10, 10)
    assert (d.calendar_version, d.verified) == (FALLBACK_VERSION, True)


def test_make_up_sunday_counts_and_the_weekend_does_not():
    # accepted Fri 18 Sep: Sat 19 is off, Sun 20 Sep is a 调休 workday
    assert WorkCalendar().deadline(date(2026, 9, 18), WORKDAYS(1)).due == date(2026, 9, 20)
    # an ordinary weekend: accepted Fri 6 Nov, day 1 is Mon 9 Nov
    assert WorkCalendar().deadline(date(2026, 11, 6), WORKDAYS(1)).due == date(2026, 11, 9)


def test_acceptance_day_is_not_counted():
    assert WorkCalendar().deadline(date(2026, 11, 23), WORKDAYS(8)).due == date(2026, 12, 3)


def test_platform_calendar_wins_over_the_package():
    synced = CalendarYear(
        year=2026,
        version="2026-v2",
        days=[CalendarDay(date=date(2026, 11, 24), workday=False, name="示例调整")],
    )
    d = WorkCalendar([synced]).deadline(date(2026, 11, 23), WORKDAYS(1))
    assert d.due == date(2026, 11, 25)
    assert (d.calendar_version, d.verified) == ("2026-v2", True)


def test_year_unknown_to_both_is_flagged_unverified():
    d = WorkCalendar().deadline(date(2027, 3, 1), WORKDAYS(5))
    assert d.due == date(2027, 3, 8)
    assert (d.calendar_version, d.verified) == (UNVERIFIED_VERSION, False)


def test_deadline_across_years_names_both_calendars():
    synced = CalendarYear(
        year=2027,
        version="2027-v1",
        days=[CalendarDay(date=date(2027, 1, 1), workday=False, name="元旦")],
    )
    d = WorkCalendar([synced]).deadline(date(2026, 12, 30), WORKDAYS(3))
    assert d.due == date(2027, 1, 5)  # 31 Dec, (1 Jan off), 4 Jan, 5 Jan
    assert d.calendar_version == f"{FALLBACK_VERSION}+2027-v1" and d.verified


def test_natural_days_and_workdays_left():
    cal = WorkCalendar()
    assert cal.deadline(date(2026, 9, 30), TimeLimit(unit="day", count=10)).due == date(
        2026, 10, 10
    )
    assert cal.workdays_between(date(2026, 9, 30), date(2026, 10, 12)) == 4  # 8, 9, 10 (调休), 12
    assert cal.workdays_between(date(2026, 10, 12), date(2026, 9, 30)) == -4


def test_a_year_the_package_lacks_gets_its_statutory_holidays_by_rule():
    import chinese_calendar

    from offline import holidays

    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 4))  # the package really lacks 2027
    cal = WorkCalendar()
    # 20 working days from Mon 21 Dec 2026: 元旦 2027 (Fri 1 Jan) is off
    d = cal.deadline(date(2026, 12, 21), WORKDAYS(20))
    assert d.due == date(2027, 1, 19)
    assert (d.verified, d.calendar_version) == (False, f"{FALLBACK_VERSION}+{UNVERIFIED_VERSION}")
    # from Mon 25 Jan 2027: 除夕 Fri 5 Feb, 初一 to 初三 Sat 6 to Mon 8, 补假 Tue 9 and Wed 10
    d = cal.deadline(date(2027, 1, 25), WORKDAYS(20))
    assert d.due == date(2027, 2, 26) and not d.verified
    assert [cal.is_workday(date(2027, 2, n))[0] for n in range(4, 12)] == [
        True,
        False,
        False,
        False,
        False,
        False,
        False,
        True,
    ]
    assert holidays.statutory(2027)[date(2027, 4, 5)] == "清明节"
    assert holidays.statutory(2027)[date(2027, 6, 9)] == "端午节"
    assert holidays.statutory(2027)[date(2027, 9, 15)] == "中秋节"


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_rule_agrees_with_the_official_calendars_it_can_be_checked_against(year):
    import chinese_calendar

    from offline import holidays

    days = holidays.statutory(year)
    assert len(days) == 13  # the 2024 revision: 13 days
    for day, name in days.items():
        assert chinese_calendar.is_holiday(day), (day, name)
    for day in holidays.days_off(year):  # every weekday the rule gives off is off officially
        assert chinese_calendar.is_holiday(day), day


def test_the_platforms_calendar_replaces_the_rule():
    official = CalendarYear(
        year=2027,
        version="2027-official",
        days=[CalendarDay(date=date(2027, 2, n), workday=False, name="春节") for n in range(5, 13)]
        + [CalendarDay(date=date(2027, 2, 20), workday=True, name="春节调休")],
    )
    cal = WorkCalendar([official])
    d = cal.deadline(date(2027, 1, 25), WORKDAYS(20))
    assert d.verified and d.calendar_version == "2027-official"
    assert d.due == date(2027, 3, 1)  # 5-12 Feb off, Sat 20 Feb worked
    assert cal.is_workday(date(2027, 2, 20)) == (True, "2027-official")


def test_the_admin_is_told_from_november_when_next_years_calendar_is_missing():
    from offline.workdays import missing_next_year

    assert missing_next_year((), date(2026, 10, 31)) is None
    told = missing_next_year((), date(2026, 11, 1))
    assert told is not None and "2027年" in told and "未核验" in told
    synced = CalendarYear(year=2027, version="2027-official", days=[])
    assert missing_next_year(WorkCalendar([synced]).years(), date(2026, 12, 20)) is None
    assert missing_next_year((), date(2025, 11, 20)) is None  # the package has 2026
