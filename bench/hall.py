"""Hall figures: `call` latency with 8 windows calling at once through the hall service,
against the same step (take the oldest waiting ticket, mark it called) as a bare SQLite
transaction with the same settings, also from 8 threads."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench.report import Row, percentile, show
from offline.db import PRAGMAS
from offline.queue import QueueStore

WINDOWS, TICKETS = 8, 1600


def _concurrently(work) -> list[float]:
    samples: list[float] = []
    lock = threading.Lock()

    def window(no: int) -> None:
        mine = work(no)
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=window, args=(n,)) for n in range(1, WINDOWS + 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return samples


def through_service(tmp: Path) -> tuple[list[float], list[float]]:
    """The service in its own process (`clerk hall serve`), as on the hall PC; the windows
    are threads here, each with its own connection. Then, on the same server, as many
    requests from as many clients to its most trivial endpoint (`GET /health`)."""
    store = QueueStore(tmp / "hall.db")
    for n in range(TICKETS):
        store.issue(["general", "social_security", "civil_affairs", "business"][n % 4])
    key = {"X-Hall-Key": store.hall_key()}
    store.close()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "clerk",
            "--home",
            str(tmp / "home"),
            "hall",
            "serve",
            "--db",
            str(tmp / "hall.db"),
            "--port",
            "0",
            "--no-voice",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert server.stdout is not None  # stdout=PIPE
    url = server.stdout.readline().strip()

    def work(no: int) -> list[float]:
        out: list[float] = []
        with httpx.Client(base_url=url, headers=key) as client:
            while True:
                start = time.perf_counter()
                response = client.post(f"/windows/{no}/call", json={})
                if response.status_code == 404:  # nobody waits any more
                    return out
                assert response.status_code == 200, response.text
                out.append(time.perf_counter() - start)

    def trivial(no: int) -> list[float]:
        out = []
        with httpx.Client(base_url=url) as client:
            for _ in range(TICKETS // WINDOWS):
                start = time.perf_counter()
                assert client.get("/health").status_code == 200
                out.append(time.perf_counter() - start)
        return out

    try:
        calls = _concurrently(work)
        assert len(calls) == TICKETS, f"{len(calls)} of {TICKETS} calls answered"
        return calls, _concurrently(trivial)
    finally:
        server.terminate()
        server.wait()
        assert server.stdout is not None
        server.stdout.close()


def through_store(tmp: Path) -> list[float]:
    """`QueueStore.call_next` itself from 8 threads, each with its own connection."""
    first = QueueStore(tmp / "store.db")
    for n in range(TICKETS):
        first.issue(["general", "social_security", "civil_affairs", "business"][n % 4])
    first.close()

    def work(no: int) -> list[float]:
        store, out = QueueStore(tmp / "store.db"), list[float]()
        while True:
            start = time.perf_counter()
            if store.call_next(no, None, f"c{no}") is None:
                store.close()
                return out
            out.append(time.perf_counter() - start)

    return _concurrently(work)


def bare(tmp: Path) -> list[float]:
    path = tmp / "bare.db"
    setup = sqlite3.connect(path)
    setup.execute("PRAGMA journal_mode=WAL")  # once: switching needs the database to itself
    setup.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, state TEXT, window_no INTEGER)")
    setup.executemany("INSERT INTO t (state) VALUES ('issued')", [()] * TICKETS)
    setup.execute("CREATE INDEX t_state ON t (state, id)")
    setup.commit()
    setup.close()

    def work(no: int) -> list[float]:
        conn = sqlite3.connect(path, isolation_level=None)
        for pragma in PRAGMAS[1:]:  # the same settings as the store, WAL already on
            conn.execute(pragma)
        out: list[float] = []
        while True:
            start = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            row = conn.execute(
                "SELECT id FROM t WHERE state = 'issued' ORDER BY id LIMIT 1"
            ).fetchone()
            if row:
                conn.execute(
                    "UPDATE t SET state = 'called', window_no = ? WHERE id = ?", [no, row[0]]
                )
            conn.execute("COMMIT")
            if row is None:
                conn.close()
                return out
            out.append(time.perf_counter() - start)

    return _concurrently(work)


def main() -> None:
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        calls, health = through_service(Path(tmp))
        service = [s * 1000 for s in calls]
        trivial = [s * 1000 for s in health]
        store = [s * 1000 for s in through_store(Path(tmp))]
        reference = [s * 1000 for s in bare(Path(tmp))]
    rows = []
    for label, samples in (("queue store call_next", store), ("hall service HTTP call", service)):
        for p in (50, 95):
            aim = "aim ≤ 3x" + (", p95 < 50 ms" if p == 95 else "")
            rows.append(
                Row(
                    f"{label}, {WINDOWS} windows at once, p{p}",
                    percentile(samples, p),
                    "ms",
                    percentile(reference, p),
                    "bare SQLite transaction, 8 threads",
                    aim,
                )
            )
    for p in (50, 95):
        rows.append(
            Row(
                f"hall service HTTP call, {WINDOWS} windows at once, p{p}",
                percentile(service, p),
                "ms",
                percentile(trivial, p),
                "GET /health, same server, same load",
                "aim ≤ 1.5x",
            )
        )
    show(f"Hall queue ({TICKETS} tickets)", rows)
