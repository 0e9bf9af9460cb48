"""Opening the window's SQLite database with the settings that keep accepted cases safe.

WAL with `synchronous=FULL` makes every commit durable before the clerk is told it is done;
the file (and its -wal/-shm companions, which SQLite creates with the same mode) is readable by
its owner only; migrations are applied at every start.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from offline.migrations import migrations

BUSY_TIMEOUT_MS = 10_000
PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
)


def _create_private(path: Path) -> None:
    """Create the file 0600 before SQLite opens it, so it is never world-readable."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def connect(path: Path | str) -> sqlite3.Connection:
    """A raw connection with the project's pragmas; statements autocommit unless in `write`."""
    path = Path(path)
    _create_private(path)
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    for pragma in PRAGMAS:
        conn.execute(pragma)
    return conn


def open_db(path: Path | str) -> Database:
    """Open (creating if needed) the database at `path` and bring its schema up to date."""
    db = Database(connect(path), execute_plugins=False)
    migrations.apply(db)
    return db


@contextlib.contextmanager
def write(db: Database) -> Iterator[Database]:
    """One durable unit of work. The outermost level takes the write lock at once
    (`BEGIN IMMEDIATE`), so read-then-write steps such as the audit chain and the case number
    sequence cannot interleave between processes; nested levels become savepoints."""
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
        db.conn.execute("COMMIT")
    except BaseException:
        db.rollback()
        raise


def insert(db: Database, table: str, row: Mapping[str, Any]) -> None:
    """One plain INSERT. sqlite-utils' `Table.insert` inspects the schema on every call, which
    costs more than the durable commit itself on the hot path of 受理."""
    columns = ", ".join(row)
    marks = ", ".join("?" * len(row))
    db.conn.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(row.values()))
