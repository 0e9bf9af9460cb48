"""Hall figures: a window's `call` with 8 windows calling at once through the hall service,
against a trivial endpoint of the same server under the same load.

The service runs as the hall PC runs it (`clerk hall serve`, its own process), so whatever
web stack it is built on is the stack measured. Each repeat puts 1 600 tickets in its queue,
then 8 windows (threads, one keep-alive client each) call until the queue is empty; then the
same 8 clients send the same number of requests to its `GET /health` (on a service without
one, to a path it does not route). The two take turns, each repeat on a fresh service. The run
fails loudly if a window's thread dies, if an answer is neither a called ticket nor "queue
empty", or if the tickets called are not exactly the tickets issued, each once.

Beside it, in process: `QueueStore.call_next` from 8 threads against the same step (take the
oldest waiting ticket, mark it called) as a bare SQLite transaction from 8 threads.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from bench.report import BenchFailure, Row, alternate, check, percentile, show
from offline.db import PRAGMAS
from offline.queue import QueueStore

WINDOWS, TICKETS, REPEATS = 8, 1600, 3
KINDS = ["general", "social_security", "civil_affairs", "business"]


def _concurrently(work: Callable[[int], list[float]]) -> list[float]:
    """Run `work(window_no)` on 8 threads at once; any thread's exception fails the run."""
    samples: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def window(no: int) -> None:
        try:
            mine = work(no)
        except BaseException as error:  # reported: the run fails
            with lock:
                errors.append(f"window {no}: {type(error).__name__}: {error}")
            return
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=window, args=(n,)) for n in range(1, WINDOWS + 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise BenchFailure("; ".join(errors))
    return samples


class Service:
    """`clerk hall serve` in its own process on an ephemeral port."""

    def __init__(self, tmp: Path) -> None:
        self.db = tmp / "hall.db"
        store = QueueStore(self.db)
        self.key = {"X-Hall-Key": store.hall_key()}
        store.close()
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "clerk", "--home", str(tmp / "home"), "hall", "serve"),
                *("--db", str(tmp / "hall.db"), "--port", "0", "--no-voice"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.trivial_path = ""
        self.url = self.process.stdout.readline().strip()
        check(self.url.startswith("http"), f"hall serve did not start: {self._stderr()}")

    def _stderr(self) -> str:
        if self.process.poll() is None:
            return "(still running)"
        assert self.process.stderr is not None
        return self.process.stderr.read()[-500:]

    def alive(self) -> None:
        check(self.process.poll() is None, f"the hall service died: {self._stderr()}")

    def issue(self) -> set[str]:
        """1 600 tickets, written to the service's database beside it (as a kiosk's would be,
        but without the day's caps the service may apply to a kiosk)."""
        store = QueueStore(self.db)
        try:
            numbers = {store.issue(KINDS[n % len(KINDS)]).number for n in range(TICKETS)}
        finally:
            store.close()
        check(len(numbers) == TICKETS, f"{TICKETS} tickets issued, {len(numbers)} numbers")
        return numbers

    def calls(self) -> tuple[list[float], list[str]]:
        called: list[str] = []

        def work(no: int) -> list[float]:
            out: list[float] = []
            mine: list[str] = []
            with httpx.Client(base_url=self.url, headers=self.key, timeout=30) as client:
                while True:
                    start = time.perf_counter()
                    answer = client.post(f"/windows/{no}/call", json={"clerk_id": f"c{no}"})
                    took = time.perf_counter() - start
                    if _empty(answer):
                        break
                    check(answer.status_code == 200, f"call: {answer.status_code} {answer.text}")
                    mine.append(answer.json()["number"])
                    out.append(took * 1000)
            called.extend(mine)  # list.extend is atomic under the GIL
            return out

        return _concurrently(work), called

    def trivial(self, per_window: int) -> list[float]:
        """`GET /health` where the service has it, else a path it does not route (it checks
        the key and answers 404 without touching the queue)."""
        with httpx.Client(base_url=self.url, headers=self.key, timeout=30) as probe:
            health = probe.get("/health").status_code == 200

        def work(no: int) -> list[float]:
            out: list[float] = []
            with httpx.Client(base_url=self.url, headers=self.key, timeout=30) as client:
                for _ in range(per_window):
                    start = time.perf_counter()
                    if health:
                        answer = client.get("/health")
                    else:
                        answer = client.post(f"/windows/{no}/bench-no-such-step", json={})
                    out.append((time.perf_counter() - start) * 1000)
                    check(answer.status_code == (200 if health else 404), f"trivial: {answer}")
            return out

        self.trivial_path = "GET /health" if health else "an unrouted path"
        return _concurrently(work)

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        for stream in (self.process.stdout, self.process.stderr):
            if stream:
                stream.close()


def _empty(answer: httpx.Response) -> bool:
    """The service's "nobody is waiting": 204, or 404 saying so (not any other failure)."""
    return answer.status_code == 204 or (answer.status_code == 404 and "排队" in answer.text)


def through_service(tmp: Path) -> list[Row]:
    """Each repeat on a fresh service (a queue numbers at most 999 tickets of a kind a day):
    its calls and its trivial endpoint, in turns."""
    figures: dict[str, list[float]] = {"call50": [], "call95": [], "ref50": [], "ref95": []}
    for repeat in range(REPEATS):
        home = tmp / f"service-{repeat}"
        home.mkdir()
        service = Service(home)

        def calls(service: Service = service) -> None:
            issued = service.issue()
            samples, called = service.calls()
            service.alive()
            check(
                sorted(called) == sorted(issued),
                f"{len(issued)} tickets issued, {len(called)} called ({len(set(called))} distinct)",
            )
            figures["call50"].append(percentile(samples, 50))
            figures["call95"].append(percentile(samples, 95))

        def trivial(service: Service = service) -> None:
            samples = service.trivial(TICKETS // WINDOWS)
            service.alive()
            figures["ref50"].append(percentile(samples, 50))
            figures["ref95"].append(percentile(samples, 95))

        try:
            for step in (calls, trivial) if repeat % 2 == 0 else (trivial, calls):
                step()
        finally:
            service.close()
    same = f"{service.trivial_path}, same server, same load"
    return [
        Row(f"hall HTTP call, {WINDOWS} windows at once, p50", "ms", figures["call50"],
            figures["ref50"], same, "aim ≤ 1.5x", summary="hall call over HTTP, 8 windows, p50"),
        Row(f"hall HTTP call, {WINDOWS} windows at once, p95", "ms", figures["call95"],
            figures["ref95"], same, "aim ≤ 1.5x", summary="hall call over HTTP, 8 windows, p95"),
    ]  # fmt: skip


def _fill_store(path: Path) -> None:
    store = QueueStore(path)
    for n in range(TICKETS):
        store.issue(KINDS[n % len(KINDS)])
    store.close()


def through_store(path: Path) -> list[float]:
    """`QueueStore.call_next` itself from 8 threads, each with its own connection."""
    _fill_store(path)

    def work(no: int) -> list[float]:
        store, out = QueueStore(path), list[float]()
        while True:
            start = time.perf_counter()
            if store.call_next(no, None, f"c{no}") is None:
                store.close()
                return out
            out.append((time.perf_counter() - start) * 1000)

    samples = _concurrently(work)
    check(len(samples) == TICKETS, f"{TICKETS} tickets, {len(samples)} called in process")
    return samples


def bare(path: Path) -> list[float]:
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
            row = conn.execute("SELECT id FROM t WHERE state = 'issued' ORDER BY id LIMIT 1")
            found = row.fetchone()
            if found:
                conn.execute(
                    "UPDATE t SET state = 'called', window_no = ? WHERE id = ?", [no, found[0]]
                )
            conn.execute("COMMIT")
            if found is None:
                conn.close()
                return out
            out.append((time.perf_counter() - start) * 1000)

    samples = _concurrently(work)
    check(len(samples) == TICKETS, f"{TICKETS} rows, {len(samples)} taken by the bare step")
    return samples


def in_process(tmp: Path) -> list[Row]:
    runs: dict[str, list[list[float]]] = {"store": [], "bare": []}
    counter = iter(range(1000))

    def ours() -> float:
        runs["store"].append(through_store(tmp / f"store-{next(counter)}.db"))
        return 0.0

    def theirs() -> float:
        runs["bare"].append(bare(tmp / f"bare-{next(counter)}.db"))
        return 0.0

    alternate(ours, theirs, REPEATS)
    rows = []
    for p in (50, 95):
        rows.append(
            Row(
                f"QueueStore.call_next, {WINDOWS} threads, p{p}",
                "ms",
                [percentile(r, p) for r in runs["store"]],
                [percentile(r, p) for r in runs["bare"]],
                "bare SQLite transaction, 8 threads",
            )
        )
    return rows


def main() -> None:
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        rows = through_service(Path(tmp)) + in_process(Path(tmp))
    show(f"Hall queue: {TICKETS} tickets, {WINDOWS} windows, {REPEATS} runs in turns", rows)


if __name__ == "__main__":
    main()
