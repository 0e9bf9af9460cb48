"""Durable case commit against a bare sqlite3 insert with the same pragmas.

The whole 受理 is two durable commits: the case-number reservation (its own transaction, so a
number is never reused after a crash) and the case + operation + audit transaction. Each is
compared with one bare INSERT + COMMIT of a row of the same size.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import time
from pathlib import Path

import offline.store
from bench.report import Row, median, show
from clerk.demo import SAMPLES
from offline.catalog import demo_catalog
from offline.db import PRAGMAS
from offline.store import Store

ROUNDS = 300


def bare_insert(path: Path, payload: str) -> list[float]:
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in PRAGMAS:
        conn.execute(pragma)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)")
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t (payload) VALUES (?)", [payload])
        conn.execute("COMMIT")
        samples.append(time.perf_counter() - start)
    conn.close()
    return samples


def _timing(fn, spent: list[float]):
    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - start)

    return timed


def accepts(path: Path) -> tuple[list[float], list[float], list[float], str]:
    """Time whole accepts, and inside them the reservation and the case transaction."""
    store = Store(path, centre_code="330212105", window_no=3)
    store.import_catalog(demo_catalog(), by="bench")
    reserved, written, totals = [], [], []
    reserve = offline.store.issue_local_no
    offline.store.issue_local_no = _timing(reserve, reserved)
    store._write_case = _timing(store._write_case, written)  # type: ignore[method-assign]
    accept = _timing(store.accept, totals)
    try:
        for _ in range(ROUNDS):
            case = accept(SAMPLES[0][1], clerk_id="c0107")
    finally:
        offline.store.issue_local_no = reserve
    payload = json.dumps(store.operations(case.case_id)[0].payload, ensure_ascii=False)
    store.close()
    return totals, reserved, written, payload


def main() -> None:
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        totals, reserve, case_txn, payload = accepts(Path(tmp) / "store.db")
        bare = bare_insert(Path(tmp) / "bare.db", payload)
    ms = 1000
    bare_ms = median(bare) * ms
    show(
        f"Durable case commit, median of {ROUNDS} (WAL, synchronous=FULL)",
        [
            Row("bare sqlite3 INSERT + COMMIT (same row size)", bare_ms, "ms"),
            Row(
                "case + operation + audit transaction",
                median(case_txn) * ms,
                "ms",
                bare_ms,
                "bare insert",
                "aim ≤ 1.5x",
            ),
            Row(
                "case-number reservation (own commit)",
                median(reserve) * ms,
                "ms",
                bare_ms,
                "bare insert",
            ),
            Row(
                "whole 受理: validate, reserve, build, commit",
                median(totals) * ms,
                "ms",
                2 * bare_ms,
                "two bare inserts (two durable commits)",
            ),
        ],
    )
