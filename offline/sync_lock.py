"""One sync run at a time per store, whoever starts it: the desk, `clerk sync`, `--watch`, a timer.

Two runs on one store undo each other: the second one's `reset_in_flight()` clears the first
one's in-flight marks, and a change pulled while the other run has operations in flight is
flagged instead of applied. So a run holds an OS advisory lock (`fcntl.flock`) on a file next
to the database, `<store>.sync-lock`. The kernel drops the lock when the holder's file is
closed, and a process that is killed (even by SIGKILL) has its files closed: no run can leave
the lock held, and there is no lease to renew while a run waits out a 429. flock belongs to
the open file, so two threads of one process exclude each other as two processes do.

The file holds the holder's pid and start time, for the line a refused run prints.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from offline.clock import now
from usererror import UserError


class SyncBusy(UserError):
    """Another sync run holds this store; `str()` is the clerk's or admin's line."""

    def __init__(self, holder: str) -> None:
        who = f"（{holder}）" if holder else ""
        super().__init__(f"另一个同步正在进行{who}，本次未运行，请稍后再试")
        self.holder = holder


def lock_path(store_path: Path) -> Path:
    return store_path.with_name(store_path.name + ".sync-lock")


@contextmanager
def exclusive(store_path: Path, wait: float = 0.0, poll: float = 0.1) -> Iterator[None]:
    """Hold the store's sync lock for the body; wait up to `wait` seconds for it, then raise
    `SyncBusy` naming the holder."""
    fd = os.open(lock_path(store_path), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + wait
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                raise SyncBusy(_holder(fd))
            time.sleep(poll)
        _write_holder(fd, f"进程 {os.getpid()}，{now():%H:%M:%S} 开始")
        try:
            yield
        finally:
            _write_holder(fd, "")
    finally:
        os.close(fd)  # releases the lock, as the kernel does for a killed process


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _write_holder(fd: int, text: str) -> None:
    os.ftruncate(fd, 0)
    os.pwrite(fd, text.encode(), 0)


def _holder(fd: int) -> str:
    return os.pread(fd, 200, 0).decode(errors="replace").strip()
