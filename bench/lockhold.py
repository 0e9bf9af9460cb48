"""The longest write-lock hold of a sync run at a million cases.

A sync run (`clerk sync`: push, pull, catalog, then retention) shares the database with the
desk, whose every 受理 needs the write lock; SQLite's busy timeout is 10 s, and before issue
12 the retention step held the lock for 17.6 s at 900 900 cases.

Measured from the outside, as the desk would meet it, by a probe in a process of its own (so
it never waits for the sync's interpreter lock): it takes and releases the write lock
(`BEGIN IMMEDIATE` / `COMMIT`) about once a millisecond all through the run, and when the
lock is taken it tries again every 0.2 ms (no SQLite busy handler, whose sleeps grow to
tens of milliseconds and would add them to the figure). A wait is from its first try to the
lock: the longest wait is the longest hold, commit and its fsync included, to within a
poll. The reference is the same probe with nothing else running. Aim: under 50 ms at
1 000 000 cases.

To say which step held the lock, the sync's own connection is traced (statement starts,
`perf_counter`, the same monotonic clock as the probe's): each of the longest waits is
printed with the transaction it overlapped (its first statement and its body, `BEGIN` to
the start of `COMMIT`).

The store is the search benchmark's (`bench.search.fill`, one case in ten closed, so about
59 000 are due for retention), copied for each repeat, with 200 new cases waiting to be
sent. The machine's load is printed with the figures: on a shared 2-core box a process
descheduled mid-transaction holds the lock for its time slice too.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sqlite3
import tempfile
import time
from dataclasses import dataclass, field
from multiprocessing.synchronize import Event
from pathlib import Path

from bench import search
from bench.report import Row, check, percentile, show
from clerk.demo import SAMPLES
from offline.blobs import BlobStore
from offline.catalog import demo_catalog
from offline.platform.server import serve_in_thread
from offline.platform.store import PlatformStore
from offline.store import Store
from offline.sync import Platform, SyncEngine

REPEATS = 3
POLL = 0.0002  # s between tries while the lock is taken
SHOWN = 3  # the longest waits of each run printed with the transaction they met

Wait = tuple[float, float]  # (first try, lock taken), perf_counter seconds


def _probe(path: str, stop: Event, ready: Event, out: multiprocessing.Queue) -> None:
    """The desk's stand-in (its own process): take the write lock once a millisecond."""
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    waits: list[Wait] = []
    ready.set()
    while not stop.is_set():
        began = time.perf_counter()
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError:
                time.sleep(POLL)
        waits.append((began, time.perf_counter()))
        conn.execute("COMMIT")
        time.sleep(0.001)
    conn.close()
    out.put(waits)


class Probe:
    """Runs `_probe` in a process of its own for the length of a `with` block."""

    def __init__(self, path: Path) -> None:
        context = multiprocessing.get_context("spawn")
        self._stop, self._ready = context.Event(), context.Event()
        self._out: multiprocessing.Queue = context.Queue()
        self._process = context.Process(
            target=_probe, args=(str(path), self._stop, self._ready, self._out)
        )
        self.waits: list[Wait] = []

    def __enter__(self) -> Probe:
        self._process.start()
        check(self._ready.wait(120), "the probe process did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.waits = self._out.get(timeout=120)
        self._process.join(30)

    @property
    def ms(self) -> list[float]:
        return [(got - began) * 1000 for began, got in self.waits]


@dataclass
class Transaction:
    """One transaction of the sync's connection as traced: when it began, its statements."""

    began: float
    statements: list[str] = field(default_factory=list)
    committing: float = 0.0  # when COMMIT started


class Tracer:
    """Statement starts on the store's connection, grouped into transactions."""

    def __init__(self) -> None:
        self.done: list[Transaction] = []
        self._open: Transaction | None = None

    def __call__(self, sql: str) -> None:
        at, head = time.perf_counter(), " ".join(sql.split())[:70]
        if head.startswith("BEGIN"):
            self._open = Transaction(at)
        elif self._open is not None and head.startswith(("COMMIT", "ROLLBACK")):
            self._open.committing = at
            self.done.append(self._open)
            self._open = None
        elif self._open is not None and len(self._open.statements) < 3:
            self._open.statements.append(head)

    def met(self, wait: Wait) -> list[Transaction]:
        """The transactions that held the lock while the probe waited: one, or several back
        to back (the gap between two is shorter than a poll)."""
        return [t for t in self.done if t.began <= wait[1] and t.committing >= wait[0] - 0.001]


@dataclass
class Run:
    waits: list[float]
    longest: list[str]
    applied: int
    purged: int
    took: float
    load: str


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _once(source: Path, tmp: Path, n: int) -> Run:
    """One sync run and its retention on a fresh copy of the store, probed."""
    path = tmp / f"clerk-{n}.db"
    shutil.copy(source, path)
    store = Store(path, centre_code="330212105", window_no=3)
    store.import_catalog(demo_catalog(), by="bench")
    for _ in range(200):
        store.accept(SAMPLES[0][1], clerk_id="c0107")
    os.sync()  # the copy's dirty pages written back now, not inside the measured fsyncs
    platform = PlatformStore(tmp / f"platform-{n}.db")
    server, url = serve_in_thread(platform)
    target = Platform(url, "win-03", platform.add_device("win-03", "330212105"))
    tracer = Tracer()
    store.db.conn.set_trace_callback(tracer)
    load_before = _load()
    began = time.perf_counter()
    with Probe(path) as probe, SyncEngine(store, BlobStore(tmp / "blobs"), target) as engine:
        summary = engine.run()
        purged = store.purge_personal_data(180, BlobStore(tmp / "blobs"), by="retention")
    took = time.perf_counter() - began
    store.db.conn.set_trace_callback(None)
    server.shutdown()
    store.close()
    path.unlink()
    check(summary.exit_code == 0 and summary.applied >= 200, f"sync run: {summary}")
    ranked = sorted(probe.waits, key=lambda w: w[0] - w[1])[:SHOWN]
    return Run(
        probe.ms,
        [_describe(w, tracer.met(w)) for w in ranked],
        summary.applied,
        purged,
        took,
        f"{load_before} → {_load()}",
    )


def _describe(wait: Wait, held: list[Transaction]) -> str:
    ms = (wait[1] - wait[0]) * 1000
    if not held:
        return f"{ms:.1f} ms: no transaction of the sync overlapped it"
    longest = max(held, key=lambda t: t.committing - t.began)
    body = (longest.committing - longest.began) * 1000
    return (
        f"{ms:.1f} ms: {len(held)} transaction(s), the longest body {body:.1f} ms + commit: "
        + " | ".join(longest.statements)
    )


def main(count: int = 1_000_000, repeats: int = REPEATS) -> None:
    source = search.prepared(count)
    with tempfile.TemporaryDirectory() as tmp:
        with Probe(source) as idle:
            time.sleep(2)
        runs = [_once(source, Path(tmp), n) for n in range(repeats)]
    for n, run in enumerate(runs, 1):
        print(
            f"run {n}: {run.applied} sent, {run.purged:,} purged, {run.took:.1f} s, "
            f"{len(run.waits):,} probes, load average {run.load}; longest waits:"
        )
        for line in run.longest:
            print(f"    {line}")
    show(
        f"Write lock during a sync run at {count:,} cases ({repeats} runs, load average "
        f"{_load()} on {os.cpu_count()} CPUs)",
        [
            Row(
                "longest write-lock hold of a sync run (the desk's longest wait)",
                "ms",
                [max(run.waits) for run in runs],
                [max(idle.ms)],
                "the same probe, nothing else running",
                "< 50 ms",
                summary="longest write-lock hold, sync run at 1 M cases",
            ),
            Row(
                "the desk's wait for the write lock, p99",
                "ms",
                [percentile(run.waits, 99) for run in runs],
                [percentile(idle.ms, 99)],
                "the same probe, nothing else running",
            ),
        ],
    )


if __name__ == "__main__":
    import sys

    main(*(int(arg) for arg in sys.argv[1:3]))
