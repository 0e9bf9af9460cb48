"""Bad ground, clear words: a full disk, a read-only database, a corrupt one, each one
Chinese line and nothing written half."""

from __future__ import annotations

import errno
import sqlite3

import pytest

from offline.db import os_problem, storage_problem
from tests.conftest import INIT, cli


def _error(run) -> sqlite3.Error:
    with pytest.raises(sqlite3.Error) as caught:
        run()
    return caught.value


def test_sqlite_failures_are_named_by_their_code(tmp_path):
    conn = sqlite3.connect(tmp_path / "full.db")
    conn.execute("CREATE TABLE t (x)")
    conn.execute("PRAGMA max_page_count = 2")  # the disk is full after two pages
    full = _error(lambda: conn.executemany("INSERT INTO t VALUES (?)", [("x" * 5000,)] * 20))
    assert storage_problem(full) == ("磁盘已满：请清理磁盘空间后重试（未写入任何数据）", False)
    conn.close()
    ro = sqlite3.connect(f"file:{tmp_path / 'full.db'}?mode=ro", uri=True)
    readonly = _error(lambda: ro.execute("INSERT INTO t VALUES (1)"))
    assert "只读" in str(storage_problem(readonly))
    ro.close()
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 100)
    junk = sqlite3.connect(tmp_path / "junk.db")
    corrupt = _error(lambda: junk.execute("SELECT * FROM sqlite_master").fetchall())
    found = storage_problem(corrupt)
    assert found is not None
    said, busy = found
    assert "已损坏" in said and "backup restore" in said and not busy
    junk.close()
    assert storage_problem(ValueError("x")) is None


def test_os_refusals_in_chinese():
    assert os_problem(OSError(errno.ENOSPC, "No space", "/data/x")).startswith("磁盘已满：/data/x")
    assert "只读文件系统" in os_problem(OSError(errno.EROFS, "Read-only", "/data"))


def test_a_corrupt_database_is_one_chinese_line(tmp_path):
    home = tmp_path / "home"
    cli(home, *INIT)
    (home / "clerk.db").write_bytes(b"\0garbage" * 4096)
    for name in ("clerk.db-wal", "clerk.db-shm"):
        (home / name).unlink(missing_ok=True)
    for args in (["case", "list"], ["db", "check"]):
        out = cli(home, *args, code=1)
        assert out.count("\n") == 1 and "数据库文件已损坏" in out and "内部错误" not in out


def test_an_account_without_a_name_is_audited_by_its_uid(monkeypatch):
    """A container or a systemd DynamicUser runs clerk as a uid with no passwd entry, where
    `getpass.getuser()` raises (KeyError before Python 3.13, OSError since); found by running
    the aarch64 bundle in a bare Debian root under qemu-user."""
    import getpass
    import os

    from clerk.cli.base import actor

    def nameless() -> str:
        raise KeyError(f"getpwuid(): uid not found: {os.getuid()}")

    monkeypatch.setattr(getpass, "getuser", nameless)
    assert actor() == f"cli:uid{os.getuid()}"
