"""The longest write-lock hold of a sync run at a million cases.

A sync run (`clerk sync`: push, pull, then retention) shares the database with the desk,
whose every 受理 needs the write lock; SQLite's busy timeout is 10 s, and before issue 12 the
retention step held the lock for 17.6 s at 900 900 cases. Measured from the outside, as the
desk would meet it: a probe thread with its own connection takes and releases the write lock
(`BEGIN IMMEDIATE` / `COMMIT`) once a millisecond all through the run, and records how long
each take waited. The longest wait is the longest hold (within a millisecond). The reference
is the same probe with nothing else running. Aim: under 50 ms at 1 000 000 cases.

The store is the search benchmark's (`bench.search.fill`, one case in ten closed, so a
hundred thousand are due for retention), copied, with 200 new cases waiting to be sent.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

from bench import search
from bench.report import Row, check, percentile, show
from clerk.demo import SAMPLES
from offline.blobs import BlobStore
from offline.catalog import demo_catalog
from offline.db import connect
from offline.platform.server import serve_in_thread
from offline.platform.store import PlatformStore
from offline.store import Store
from offline.sync import Platform, SyncEngine


class Probe:
    """Takes the write lock once a millisecond from its own connection; keeps the waits."""

    def __init__(self, path: Path) -> None:
        self.conn = connect(path)
        self.waits: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            began = time.perf_counter()
            self.conn.execute("BEGIN IMMEDIATE")
            self.waits.append((time.perf_counter() - began) * 1000)
            self.conn.execute("COMMIT")
            time.sleep(0.001)

    def __enter__(self) -> Probe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.conn.close()


def main(count: int = 1_000_000) -> None:
    source = search.prepared(count)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "clerk.db"
        shutil.copy(source, path)
        store = Store(path, centre_code="330212105", window_no=3)
        store.import_catalog(demo_catalog(), by="bench")
        for _ in range(200):
            store.accept(SAMPLES[0][1], clerk_id="c0107")
        os.sync()  # the copy's dirty pages written back now, not inside the measured fsyncs
        with Probe(path) as idle:
            time.sleep(2)
        platform = PlatformStore(Path(tmp) / "platform.db")
        server, url = serve_in_thread(platform)
        target = Platform(url, "win-03", platform.add_device("win-03", "330212105"))
        blobs = BlobStore(Path(tmp) / "blobs")
        began = time.perf_counter()
        with Probe(path) as busy, SyncEngine(store, blobs, target) as engine:
            summary = engine.run()
            purged = store.purge_personal_data(180, blobs, by="retention")
        took = time.perf_counter() - began
        server.shutdown()
        store.close()
    check(summary.exit_code == 0 and summary.applied >= 200, f"sync run: {summary}")
    show(
        f"Write lock during a sync run at {count:,} cases "
        f"({summary.applied} sent, {purged:,} purged by retention, {took:.1f} s, "
        f"{len(busy.waits):,} probes)",
        [
            Row(
                "longest write-lock wait of the desk",
                "ms",
                [max(busy.waits)],
                [max(idle.waits)],
                "the same probe, nothing else running",
                "aim < 50 ms",
            ),
            Row(
                "write-lock wait of the desk, p99",
                "ms",
                [percentile(busy.waits, 99)],
                [percentile(idle.waits, 99)],
                "the same probe, nothing else running",
            ),
        ],
    )


if __name__ == "__main__":
    import sys

    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
