"""AB岗 handover notes and the counted consultations (咨询) that create no case.

A backup clerk who takes over a window leaves a note for its own clerk, who sees it at the
next login until they confirm it was read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from offline import audit


@dataclass(frozen=True)
class Note:
    id: int
    at: datetime
    by_clerk: str
    text: str
    by_name: str = ""  # the backup clerk's name, as the window's clerk knows them

    @property
    def line(self) -> str:
        who = f"{self.by_name}（{self.by_clerk}）" if self.by_name else self.by_clerk
        return f"{self.at:%m-%d %H:%M} {who}：{self.text}"


def leave_note(
    db: Database, window_no: int, by_clerk: str, for_clerk: str, text: str, at: datetime
) -> None:
    db.conn.execute(
        "INSERT INTO handover_notes (at, window_no, by_clerk, for_clerk, text) "
        "VALUES (?, ?, ?, ?, ?)",
        [at.isoformat(), window_no, by_clerk, for_clerk, text],
    )
    audit.append(
        db, clerk_id=by_clerk, window_no=window_no, action="handover.note", target=for_clerk
    )


def unread(db: Database, for_clerk: str) -> list[Note]:
    rows = db.conn.execute(
        "SELECT n.id, n.at, n.by_clerk, n.text, COALESCE(c.name, '') FROM handover_notes AS n "
        "LEFT JOIN clerks AS c ON c.clerk_id = n.by_clerk "
        "WHERE n.for_clerk = ? AND n.read_at IS NULL ORDER BY n.id",
        [for_clerk],
    ).fetchall()
    return [Note(i, datetime.fromisoformat(at), by, text, name) for i, at, by, text, name in rows]


def mark_read(db: Database, for_clerk: str, at: datetime) -> None:
    db.conn.execute(
        "UPDATE handover_notes SET read_at = ? WHERE for_clerk = ? AND read_at IS NULL",
        [at.isoformat(), for_clerk],
    )


def consult(
    db: Database,
    window_no: int,
    clerk_id: str,
    item_code: str | None,
    ticket: str | None,
    at: datetime,
) -> None:
    """咨询: counted and audited, no case and nothing for the platform."""
    db.conn.execute(
        "INSERT INTO consultations (at, clerk_id, window_no, item_code, ticket) "
        "VALUES (?, ?, ?, ?, ?)",
        [at.isoformat(), clerk_id, window_no, item_code, ticket],
    )
    audit.append(
        db,
        clerk_id=clerk_id,
        window_no=window_no,
        action="consultation",
        target=ticket or "",
        detail={"item": item_code},
    )


def consultations_on(db: Database, day: str) -> int:
    [(n,)] = db.conn.execute(
        "SELECT COUNT(*) FROM consultations WHERE substr(at, 1, 10) = ?", [day]
    ).fetchall()
    return n
