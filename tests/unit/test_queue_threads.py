"""The hall's queue shared by the service's threads: a reader never waits for a writer.

A writer that is waiting for SQLite's write lock (or committing, or syncing to disk) must not
hold up the board, a window's view or a token check in another thread: each thread has its
own connection and WAL lets them read."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

from offline.queue import QueueStore

ROOT = Path(__file__).resolve().parents[2]


def test_a_reader_goes_on_while_a_writer_waits(tmp_path):
    path = tmp_path / "hall.db"
    store = QueueStore(path)
    store.issue("general")
    key = store.add_token("board")
    store.hall_key()  # made when the service starts
    other = sqlite3.connect(path, isolation_level=None)  # another process, mid-commit
    other.execute("BEGIN IMMEDIATE")
    writer = threading.Thread(target=store.issue, args=("general",))
    writer.start()  # waits for the write lock inside `issue`
    seen: list[object] = []

    def read() -> None:
        seen.extend([store.board()["waiting"], store.window_view(3)["waiting"]])
        seen.append(store.credential(key))

    reader = threading.Thread(target=read)
    try:
        reader.start()
        reader.join(5)
        assert not reader.is_alive(), "the reader waited for the writer"
        assert writer.is_alive()  # still waiting: the read did not need it
        assert seen[:2] == [{"general": 1}, {"general": 1}] and seen[2] is not None
    finally:
        other.execute("COMMIT")
        writer.join()
        reader.join()
        other.close()
    assert store.waiting() == {"general": 2}
    store.close()


def in_another_process(code: str, path: Path) -> str:
    """Run `code` with `store` open on `path` in a process of its own (a `clerk hall`
    command, a second service); what it printed."""
    script = f"from offline.queue import QueueStore\nstore = QueueStore({str(path)!r})\n{code}"
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_a_new_threads_connection_keeps_the_services_locks(tmp_path):
    """Each thread of the service opens its own connection on first use. Opening one must not
    drop the locks the others hold (POSIX locks belong to the process and go with any close of
    the file): without them, another process that closes the database takes it for its last
    user, checkpoints and deletes the write-ahead log under the service, whose later commits
    go to a deleted file that no other process sees and that a power cut loses."""
    path = tmp_path / "hall.db"
    store = QueueStore(path)
    store.issue("general")
    reader = threading.Thread(target=store.waiting)  # a second thread's first connection
    reader.start()
    reader.join()
    in_another_process("store.close()", path)  # e.g. `clerk hall key` on the hall PC
    store.issue("general")
    seen = in_another_process("print(store.waiting()); store.close()", path)
    assert seen == "{'general': 2}"  # the second ticket is in the database, for everyone
    store.close()


def test_writers_of_one_process_take_turns_instead_of_polling_sqlite(tmp_path):
    """SQLite's busy wait polls its lock with sleeps of up to 100 ms: among eight windows
    calling at once on a loaded machine, one could lose every poll for the whole busy timeout
    ("database is locked"). Writers of one process wait for their turn instead, so one never
    meets that timeout because of another; here the waiting writer's timeout is nil."""
    path = tmp_path / "hall.db"
    first, second = QueueStore(path), QueueStore(path)  # two windows' stores, one process
    done: list[object] = []

    def issue() -> None:
        second.db.conn.execute("PRAGMA busy_timeout = 0")  # this thread's connection
        try:
            done.append(second.issue("general").number)
        except sqlite3.Error as error:
            done.append(error)

    waiter = threading.Thread(target=issue)
    with first.writing():
        first.issue("general")
        waiter.start()
        waiter.join(0.5)
        assert done == []  # waiting for its turn, not failing on SQLite's lock
    waiter.join()
    assert done == ["C002"]
    first.close()
    second.close()
