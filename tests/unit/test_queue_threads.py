"""The hall's queue shared by the service's threads: a reader never waits for a writer.

A writer that is waiting for SQLite's write lock (or committing, or syncing to disk) must not
hold up the board, a window's view or a token check in another thread: each thread has its
own connection and WAL lets them read."""

from __future__ import annotations

import sqlite3
import threading

from offline.queue import QueueStore


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
