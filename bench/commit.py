"""Durable case commit against a bare sqlite3 insert with the same pragmas.

The whole 受理 is two durable commits: the case-number reservation (its own transaction, so a
number is never reused after a crash) and the case + operation + audit transaction. Each is
compared with one bare INSERT + COMMIT of a row of the same size. The two are interleaved,
one each per round, so both see the same disk (fsync time drifts a lot between runs).
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

ROUNDS = 500


def _timing(fn, spent: list[float]):
    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - start)

    return timed


def _bare(path: Path, payload: str, spent: list[float]):
    """One INSERT + COMMIT per call on a plain table with the store's pragmas."""
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in PRAGMAS:
        conn.execute(pragma)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)")

    def insert() -> None:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t (payload) VALUES (?)", [payload])
        conn.execute("COMMIT")

    return _timing(insert, spent), conn


def main() -> None:
    bare: list[float] = []
    reserved: list[float] = []
    written: list[float] = []
    totals: list[float] = []
    entry = SAMPLES[0][1]
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        store = Store(Path(tmp) / "store.db", centre_code="330212105", window_no=3)
        store.import_catalog(demo_catalog(), by="bench")
        case = store.accept(entry, clerk_id="c0107")
        payload = json.dumps(store.operations(case.case_id)[0].payload, ensure_ascii=False)
        insert, conn = _bare(Path(tmp) / "bare.db", payload, bare)
        reserve = offline.store.issue_local_no
        offline.store.issue_local_no = _timing(reserve, reserved)
        store._write_case = _timing(store._write_case, written)  # type: ignore[method-assign]
        accept = _timing(store.accept, totals)
        try:
            for _ in range(ROUNDS):
                insert()
                accept(entry, clerk_id="c0107")
        finally:
            offline.store.issue_local_no = reserve
            store.close()
            conn.close()
    ms = 1000
    bare_ms = median(bare) * ms
    show(
        f"Durable case commit, median of {ROUNDS} interleaved rounds (WAL, synchronous=FULL)",
        [
            Row("bare sqlite3 INSERT + COMMIT (same row size)", bare_ms, "ms"),
            Row(
                "case + operation + audit transaction",
                median(written) * ms,
                "ms",
                bare_ms,
                "bare insert",
                "aim ≤ 1.5x",
            ),
            Row(
                "case-number reservation (own commit)",
                median(reserved) * ms,
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
