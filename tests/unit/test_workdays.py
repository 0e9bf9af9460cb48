"""Working-day deadlines over the 2026 National Day holiday and its make-up workdays."""

from datetime import date

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
