"""Provisional case numbers: `{centre_code}-{window_no:02}-{YYYYMMDD}-{seq:04}`.

A number is reserved in its own committed transaction before the case that takes it is
written. If the process dies in between, that number is simply skipped: a gap is harmless,
a number printed on two receipts is not.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

from sqlite_utils import Database

from offline.db import write
from usererror import UserError

MAX_SEQ = 9999


class NumberingExhausted(UserError, RuntimeError):
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
RESTORED = "restore_numbering"  # meta: {day: the `last` a restore set}, until the first sync


def skip_after_restore(
    db: Database, centre_code: str, window_no: int, since: date, until: date
) -> int:
    """After a restore, move numbering past what the lost machine may have issued since the
    backup: every day from the backup's day to today continues `RESTORE_MARGIN` numbers
    later (a window issues far fewer than that in a day). This holds offline; the first sync
    then settles it (`settle_after_restore`). Returns the days moved."""
    moved: dict[str, int] = {}
    with write(db):
        day = since
        while day <= until:
            [(last,)] = db.execute(
                """
                INSERT INTO local_no_seq (centre_code, window_no, day, last) VALUES (?, ?, ?, ?)
                ON CONFLICT (centre_code, window_no, day)
                DO UPDATE SET last = MIN(last + ?, ?)
                RETURNING last
                """,
                [centre_code, window_no, day.isoformat(), RESTORE_MARGIN, RESTORE_MARGIN, MAX_SEQ],
            ).fetchall()
            moved[day.isoformat()] = last
            day += timedelta(days=1)
        db.execute(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)", [RESTORED, json.dumps(moved)]
        ).fetchall()
        # the feed is read again from its start, this window's own cases in full: those
        # accepted after the backup, and the operations sent after it (`outbox.follow_platform`)
        db.execute("DELETE FROM meta WHERE key = 'changes_cursor'").fetchall()
    return len(moved)


def restore_pending(db: Database) -> bool:
    """Whether this store was restored and has not synced since."""
    return bool(db.execute("SELECT 1 FROM meta WHERE key = ?", [RESTORED]).fetchall())


def settle_after_restore(db: Database, centre_code: str, window_no: int, complete: bool) -> int:
    """Once the first sync after a restore has brought this window's own cases back from the
    platform (`complete`): each day moved by the restore continues after the highest number
    this window now holds for it, instead of past the margin. A day on which a number has
    been issued since the restore keeps its sequence: numbering never goes back below a
    number it gave out. Not `complete` (a platform that sent its own cases back light): the
    margin stays. Either way this is done once. Returns the days settled. Call inside
    `offline.db.write`."""
    [row] = db.execute("SELECT value FROM meta WHERE key = ?", [RESTORED]).fetchall() or [(None,)]
    moved: dict[str, int] = json.loads(row[0]) if row[0] else {}
    settled = 0
    for day, last in moved.items() if complete else ():
        prefix = format_local_no(centre_code, window_no, date.fromisoformat(day), 0)[:-4]
        [(highest,)] = db.execute(
            "SELECT MAX(CAST(substr(local_no, ?) AS INTEGER)) FROM cases WHERE local_no LIKE ?",
            [len(prefix) + 1, prefix + "____"],
        ).fetchall()
        settled += db.execute(
            "UPDATE local_no_seq SET last = ? WHERE centre_code = ? AND window_no = ? AND day = ?"
            " AND last = ?",
            [highest or 0, centre_code, window_no, day, last],
        ).rowcount
    db.execute("DELETE FROM meta WHERE key = ?", [RESTORED]).fetchall()
    return settled
