"""Provisional case numbers: `{centre_code}-{window_no:02}-{YYYYMMDD}-{seq:04}`.

A number is reserved in its own committed transaction before the case that takes it is
written. If the process dies in between, that number is simply skipped: a gap is harmless,
a number printed on two receipts is not.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlite_utils import Database

from offline.db import write

MAX_SEQ = 9999


class NumberingExhausted(RuntimeError):
    """The day's four-digit sequence of this window is used up."""

    def __str__(self) -> str:
        return "本窗口今日办件编号已用完（9999），请联系管理员"


def format_local_no(centre_code: str, window_no: int, day: date, seq: int) -> str:
    return f"{centre_code}-{window_no:02d}-{day:%Y%m%d}-{seq:04d}"


def issue_local_no(db: Database, centre_code: str, window_no: int, day: date) -> str:
    """Reserve the next number of the day for this window and return it, durably."""
    if db.conn.in_transaction:
        raise RuntimeError("issue_local_no must commit on its own, outside other writes")
    with write(db):
        [row] = db.execute(
            """
            INSERT INTO local_no_seq (centre_code, window_no, day, last) VALUES (?, ?, ?, 1)
            ON CONFLICT (centre_code, window_no, day) DO UPDATE SET last = last + 1
            RETURNING last
            """,
            [centre_code, window_no, day.isoformat()],
        ).fetchall()  # drain the statement so COMMIT is not blocked by it
        if row[0] > MAX_SEQ:
            raise NumberingExhausted()
    return format_local_no(centre_code, window_no, day, row[0])


RESTORE_MARGIN = 1000


def skip_after_restore(
    db: Database, centre_code: str, window_no: int, since: date, until: date
) -> int:
    """After a restore, move numbering past what the lost machine may have issued since the
    backup: every day from the backup's day to today continues `RESTORE_MARGIN` numbers
    later (a window issues far fewer than that in a day). Returns the days moved."""
    days = 0
    with write(db):
        day = since
        while day <= until:
            db.execute(
                """
                INSERT INTO local_no_seq (centre_code, window_no, day, last) VALUES (?, ?, ?, ?)
                ON CONFLICT (centre_code, window_no, day)
                DO UPDATE SET last = MIN(last + ?, ?)
                """,
                [centre_code, window_no, day.isoformat(), RESTORE_MARGIN, RESTORE_MARGIN, MAX_SEQ],
            ).fetchall()
            day += timedelta(days=1)
            days += 1
    return days
