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
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where used: `connect` alone needs neither (`clerk sync status`)
    from sqlite_utils import Database

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
    from sqlite_utils import Database

    from offline.migrations import migrations

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


def backup_file(src: Path, dest: Path) -> None:
    """A consistent copy of the database at `src` (another process may be writing it)
    through SQLite's online backup API, as one self-contained 0600 file."""
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
    target = connect(dest)
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()
        source.close()
    os.chmod(dest, 0o600)


# SQLite's own error names (not its message texts) and what the admin should hear.
_STORAGE = {
    "SQLITE_FULL": "磁盘已满：请清理磁盘空间后重试（未写入任何数据）",
    "SQLITE_READONLY": "数据目录是只读的，无法写入（只读命令仍可使用）：请检查磁盘挂载和权限",
    "SQLITE_CANTOPEN": "无法打开数据库文件：请检查数据目录是否存在、是否可写",
    "SQLITE_CORRUPT": "数据库文件已损坏：请用 clerk backup restore 从最近的备份恢复",
    "SQLITE_NOTADB": "数据库文件已损坏（不是数据库）：请用 clerk backup restore 从最近的备份恢复",
    "SQLITE_IOERR": "读写磁盘出错：请检查磁盘（可能已满或有坏道）",
    "SQLITE_BUSY": "数据库正忙（另一个程序正在写入），请稍后重试",
    "SQLITE_LOCKED": "数据库正忙（另一个程序正在写入），请稍后重试",
}
BUSY = ("SQLITE_BUSY", "SQLITE_LOCKED")


def storage_problem(error: BaseException) -> tuple[str, bool] | None:
    """A SQLite failure as (one Chinese line, whether it is only busy), or None."""
    if not isinstance(error, sqlite3.Error):
        return None
    name = getattr(error, "sqlite_errorname", "") or ""
    base = name.split("_")[0] + "_" + name.split("_")[1] if name.count("_") >= 2 else name
    message = _STORAGE.get(name) or _STORAGE.get(base)
    if message is None:
        return None
    return message, base in BUSY


def pending_migrations(path: Path) -> list[str]:
    """The migrations an existing database at `path` has not had yet (read-only; [] for a
    new one, which needs no backup before it is created)."""
    if not path.exists():
        return []
    from sqlite_utils import Database

    from offline.migrations import migrations

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        db = Database(conn, execute_plugins=False)
        if not db["_sqlite_migrations"].exists():
            return []
        return [m.name for m in migrations.pending(db)]
    finally:
        conn.close()
