"""Opening the window's SQLite database with the settings that keep accepted cases safe.

WAL with `synchronous=FULL` makes every commit durable before the clerk is told it is done;
the file (and its -wal/-shm companions, which SQLite creates with the same mode) is readable by
its owner only; migrations are applied at every start.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from usererror import UserError

if TYPE_CHECKING:  # imported where used: `connect` alone needs neither (`clerk sync status`)
    from sqlite_utils import Database


class TargetExists(UserError, FileExistsError):
    """A backup or copy would overwrite a file that is already there."""


BUSY_TIMEOUT_MS = 10_000
PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
)


def _create_private(path: Path) -> None:
    """Create the file 0600 before SQLite opens it, so it is never world-readable.

    An existing file is never opened here: SQLite's locks are POSIX locks, which belong to
    the process and are all dropped when any descriptor of the file is closed. Opening and
    closing it beside a connection of this process (another thread's) would take that
    connection's locks away; another process closing the database would then take itself
    for the last user and delete the write-ahead log under us, losing later commits."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
    except FileExistsError:
        os.chmod(path, 0o600)  # by name: no descriptor, no lock touched
        return
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
    """Open (creating if needed) the database at `path` and bring its schema up to date.

    On a read-only mount or a full disk SQLite cannot even create the -shm file it needs to
    read; then the database is opened read-only (`read_only`), so that `case list`, `db check`
    and backups still work, and every write is refused with the disk's own reason."""
    from sqlite_utils import Database

    from offline.migrations import migrations

    path = Path(path)
    conn = None
    try:
        conn = connect(path)
        db = Database(conn, execute_plugins=False)
        migrations.apply(db)
        return db
    except (sqlite3.Error, OSError) as error:
        if conn is not None:
            conn.close()
        reason = unwritable(path.parent)
        if reason is None or not path.is_file():
            raise
        return read_only(path, reason, error)


class ReadOnlyConnection(sqlite3.Connection):
    """A connection to a database on ground that takes no writes; `reason` says why."""

    reason: OSError


def unwritable(directory: Path) -> OSError | None:
    """Why nothing can be written in `directory` now (read-only mount, full disk), or None."""
    try:
        found = os.statvfs(directory)
    except OSError:
        return None
    if found.f_flag & os.ST_RDONLY:
        return OSError(errno.EROFS, os.strerror(errno.EROFS), str(directory))
    if found.f_bavail * found.f_frsize < 64 * 1024:  # not even room for the -shm file
        return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(directory))
    return None


def read_only(path: Path, reason: OSError, error: BaseException) -> Database:
    """The store's database opened for reading only (`reader`). Pending migrations cannot be
    applied: then the original `error` stands."""
    from sqlite_utils import Database

    from offline.migrations import migrations

    db = Database(reader(path, reason, error), execute_plugins=False)
    try:
        pending = migrations.pending(db)
    except sqlite3.Error:
        db.close()
        raise reason from error
    if pending:
        db.close()
        raise reason from error
    return db


def reader(path: Path, reason: OSError, error: BaseException) -> ReadOnlyConnection:
    """A read-only connection on ground that takes no writes. Without a -wal file SQLite may
    treat the database as immutable (nobody can write it here); with one, its frames must be
    read, which SQLite can do only when the -shm file is there too."""
    wal = Path(f"{path}-wal")
    mode = "ro" if wal.exists() and wal.stat().st_size else "ro&immutable=1"
    try:
        conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode={mode}",
            uri=True,
            check_same_thread=False,
            isolation_level=None,
            factory=ReadOnlyConnection,
        )
        conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
    except sqlite3.Error:
        raise reason from error
    conn.reason = reason
    return conn


def _source(path: Path) -> sqlite3.Connection:
    """`path` opened to be copied, on any ground: read-only, even on a full disk."""
    return _probed(path, sqlite3.connect(f"file:{path}?mode=ro", uri=True))


def connect_to_read(path: Path | str) -> sqlite3.Connection:
    """`connect`, for a command that only reads: on ground that takes no writes, read-only."""
    path = Path(path)
    try:
        conn = connect(path)
    except OSError as error:
        if (reason := unwritable(path.parent)) and path.is_file():
            return reader(path, reason, error)
        raise
    return _probed(path, conn)


def _probed(path: Path, conn: sqlite3.Connection) -> sqlite3.Connection:
    """`conn` once it has read the schema; a read-only one instead where SQLite cannot create
    the -shm file it needs (a read-only mount, a full disk)."""
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
        return conn
    except sqlite3.Error as error:
        conn.close()
        if reason := unwritable(path.parent):
            return reader(path, reason, error)
        raise


@contextlib.contextmanager
def write(db: Database) -> Iterator[Database]:
    """One durable unit of work. The outermost level takes the write lock at once
    (`BEGIN IMMEDIATE`), so read-then-write steps such as the audit chain and the case number
    sequence cannot interleave between processes; nested levels become savepoints. On
    ground that takes no writes (`read_only`) it refuses with the disk's reason."""
    if isinstance(db.conn, ReadOnlyConnection):
        reason = db.conn.reason
        raise OSError(reason.errno, reason.strerror, reason.filename)
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


def upsert(db: Database, table: str, rows: list[dict[str, Any]], key: tuple[str, ...]) -> None:
    """Insert rows (all with the same columns), or update the ones whose `key` is taken. Plain
    SQL: sqlite-utils' `upsert_all` inspects the table's schema first, tens of milliseconds
    that would be spent holding the write lock."""
    if not rows:
        return
    columns = list(rows[0])
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
    db.conn.executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}",
        [[row[c] for c in columns] for row in rows],
    )


def backup_file(src: Path, dest: Path) -> None:
    """A consistent copy of the database at `src` (another process may be writing it)
    through SQLite's online backup API, as one self-contained 0600 file."""
    source = _source(src)
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
_GROUND = ("SQLITE_FULL", "SQLITE_IOERR", "SQLITE_CANTOPEN", "SQLITE_READONLY")


def storage_problem(error: BaseException, directory: Path | None = None) -> tuple[str, bool] | None:
    """A SQLite failure as (one Chinese line, whether it is only busy), or None. SQLite says
    "disk I/O error" for a full disk too: with the data `directory` known, a full disk or a
    read-only mount is named as such."""
    if not isinstance(error, sqlite3.Error):
        return None
    name = getattr(error, "sqlite_errorname", "") or ""
    base = name.split("_")[0] + "_" + name.split("_")[1] if name.count("_") >= 2 else name
    message = _STORAGE.get(name) or _STORAGE.get(base)
    if message is None:
        return None
    if directory is not None and base in _GROUND and (reason := unwritable(directory)):
        return os_problem(reason), False
    return message, base in BUSY


def os_problem(error: OSError) -> str:
    """The operating system's refusal as one Chinese line: full disk and read-only mounts by
    name (the CLI and the desk say the same)."""
    where = f"：{error.filename}" if error.filename else ""
    if error.errno == errno.ENOSPC:
        return f"磁盘已满{where}：请清理磁盘空间后重试（未写入任何数据）"
    if error.errno == errno.EFBIG:
        return f"文件超过系统允许的大小{where}：请检查磁盘配额和文件大小限制（未写入任何数据）"
    if error.errno == errno.EROFS:
        return f"只读文件系统{where}：无法写入（只读命令仍可使用）"
    if error.errno in (errno.EACCES, errno.EPERM):
        return f"没有权限{where}（应由运行 clerk 的用户所有，见 clerk db check）"
    if error.errno == errno.ENOENT:
        return f"文件或目录不存在{where}"
    if error.errno in OS_WORDS:
        return f"{OS_WORDS[error.errno]}{where}"
    name = errno.errorcode.get(error.errno or 0, "未知")
    return f"系统拒绝了此操作（{name}）{where}"  # the OS's own words are English


OS_WORDS = {
    errno.EISDIR: "这是目录，不是文件",
    errno.ENOTDIR: "路径中有一项不是目录",
    errno.EEXIST: "文件已存在",
    errno.ENAMETOOLONG: "文件名太长",
    errno.EIO: "磁盘读写出错（磁盘可能损坏）",
    errno.EMFILE: "打开的文件太多",
    errno.ENOTEMPTY: "目录不是空的",
    errno.EBUSY: "文件或设备正被占用",
}


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
    except sqlite3.Error:
        if unwritable(path.parent) is None:
            raise
        return []  # nothing can be migrated here: opening the store says why
    finally:
        conn.close()
