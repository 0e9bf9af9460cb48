"""What `clerk sync status` shows, read with the standard library alone.

The store's own methods answer the same questions through these functions, so there is one
query for each; `clerk sync status` calls them on a plain connection, without the store's
models, sqlite-utils or pydantic (which cost several times click's own start-up), as long as
the database's schema is current (`current`); otherwise the store is opened, which migrates.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from offline.db import connect_to_read

# The newest migration in `offline.migrations` (a test keeps the two equal).
LATEST_MIGRATION = "m007_case_list_index"
STATES = ("pending", "in_flight", "acked", "quarantined")


@dataclass(frozen=True)
class KeptChange:
    """A change from the platform kept aside because it failed validation."""

    id: int
    received_at: datetime
    kind: str
    case_id: str | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "received_at": self.received_at.isoformat()}


@dataclass(frozen=True)
class SyncStatus:
    """The outbox and what the last runs left, as `clerk sync status` shows them."""

    counts: dict[str, int]
    quarantined_cases: list[tuple[str, str, int, str]]
    kept_changes: list[KeptChange]
    last_success: str | None
    changes_cursor: str | None
    calendar_years: set[int]


def read(path: Path) -> SyncStatus | None:
    """The status of the store at `path`; None when its schema is not current (opening the
    `Store` migrates it; then read again)."""
    conn = connect_to_read(path)
    try:
        if not current(conn):
            return None
        return SyncStatus(
            counts=counts(conn),
            quarantined_cases=quarantined_cases(conn),
            kept_changes=kept_changes(conn),
            last_success=meta(conn, "last_success"),
            changes_cursor=meta(conn, "changes_cursor"),
            calendar_years=calendar_years(conn),
        )
    finally:
        conn.close()


def current(conn: sqlite3.Connection) -> bool:
    """Whether every migration this code knows has been applied to the database."""
    try:
        row = conn.execute(
            "SELECT 1 FROM _sqlite_migrations WHERE migration_set = 'clerk' AND name = ?",
            [LATEST_MIGRATION],
        ).fetchone()
    except sqlite3.OperationalError:  # no migrations table: a new, empty database
        return False
    return row is not None


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Operations per state, every state present."""
    found = dict(conn.execute("SELECT state, COUNT(*) FROM operations GROUP BY state").fetchall())
    return {state: found.get(state, 0) for state in STATES}


def quarantined_cases(conn: sqlite3.Connection) -> list[tuple[str, str, int, str]]:
    """(case_id, local number, operations set aside, the first one's reason) per case."""
    return conn.execute(
        "SELECT o.case_id, c.local_no, COUNT(*), (SELECT q.last_error FROM operations AS q "
        "WHERE q.case_id = o.case_id AND q.state = 'quarantined' ORDER BY q.seq LIMIT 1) "
        "FROM operations AS o JOIN cases AS c ON c.case_id = o.case_id "
        "WHERE o.state = 'quarantined' AND o.state != 'acked' "
        "GROUP BY o.case_id ORDER BY MIN(o.rowid)"
    ).fetchall()


def kept_changes(conn: sqlite3.Connection, limit: int = 50) -> list[KeptChange]:
    """The changes from the platform kept aside, newest first."""
    rows = conn.execute(
        "SELECT id, received_at, kind, case_id, reason FROM quarantined_changes "
        "ORDER BY id DESC LIMIT ?",
        [limit],
    ).fetchall()
    return [KeptChange(r[0], datetime.fromisoformat(r[1]), r[2], r[3], r[4]) for r in rows]


def meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def calendar_years(conn: sqlite3.Connection) -> set[int]:
    """The years whose official calendar the platform has given."""
    return {year for (year,) in conn.execute("SELECT year FROM calendar_years")}
