"""Durable case commit against raw SQL writing the same rows.

`Store._write_case` commits a case, its operation and its audit entry in one transaction.
The reference writes those same three rows (read back from the store after each round, with
new keys) into a database with the same schema, indices and triggers, as three plain INSERTs
in one `BEGIN IMMEDIATE` ... `COMMIT` on a raw sqlite3 connection with the same pragmas. The
whole 受理 also reserves its case number in a commit of its own (a number is never reused
after a crash), so its reference is the raw reservation plus the raw three rows.

The two take turns every round; each block of rounds gives one median, and the rows show
min / median / max over the blocks. After the run the store must hold every case once with
its operation, and its audit chain must verify.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.report import Row, check, median, show
from clerk.demo import SAMPLES
from offline.catalog import demo_catalog
from offline.db import connect
from offline.store import Store

BLOCKS, ROUNDS = 5, 100


def _timing(fn: Callable[..., Any], spent: list[float]) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent.append((time.perf_counter() - start) * 1000)

    return timed


def _rows(store: Store, case_id: str) -> list[tuple[str, dict[str, Any]]]:
    """The three rows the store's transaction wrote for `case_id`."""
    out = []
    for table, where in (
        ("cases", "case_id = ?"),
        ("operations", "case_id = ?"),
        ("audit_log", "id = (SELECT MAX(id) FROM audit_log) AND ? IS NOT NULL"),
    ):
        [row] = list(store.db.query(f"SELECT * FROM {table} WHERE {where}", [case_id]))
        out.append((table, row))
    return out


class Raw:
    """Raw SQL on a database with the store's schema, indices and triggers."""

    def __init__(self, path: Path) -> None:
        Store(path, centre_code="330212105", window_no=3).close()  # the same schema
        self.conn: sqlite3.Connection = connect(path)
        self.n = 0

    def write(self, rows: list[tuple[str, dict[str, Any]]]) -> None:
        self.n += 1
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        for table, row in rows:
            row = dict(row)
            if table == "cases":
                row["case_id"], row["local_no"] = f"raw-{self.n}", f"raw-{self.n}"
            elif table == "operations":
                row["op_id"], row["case_id"] = f"raw-op-{self.n}", f"raw-{self.n}"
            else:
                row["id"] = None
            marks = ", ".join("?" * len(row))
            conn.execute(
                f"INSERT INTO {table} ({', '.join(row)}) VALUES ({marks})", [*row.values()]
            )
        conn.execute("COMMIT")

    def reserve(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute(
            "INSERT INTO local_no_seq (centre_code, window_no, day, last) VALUES (?, ?, ?, 1)"
            " ON CONFLICT (centre_code, window_no, day) DO UPDATE SET last = last + 1"
            " RETURNING last",
            ["330212105", 3, "2026-01-01"],
        ).fetchall()
        self.conn.execute("COMMIT")


def main(blocks: int = BLOCKS, rounds: int = ROUNDS) -> None:
    entry = SAMPLES[0][1]
    written: list[float] = []
    series: dict[str, list[float]] = {k: [] for k in ("write", "raw", "accept", "raw2")}
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        store = Store(Path(tmp) / "store.db", centre_code="330212105", window_no=3)
        store.import_catalog(demo_catalog(), by="bench")
        raw = Raw(Path(tmp) / "raw.db")
        store._write_case = _timing(store._write_case, written)  # type: ignore[method-assign]
        try:
            for _ in range(blocks):
                mine, theirs, whole, theirs2 = [], [], [], []
                for _ in range(rounds):
                    began = time.perf_counter()
                    case = store.accept(entry, clerk_id="c0107")
                    whole.append((time.perf_counter() - began) * 1000)
                    rows = _rows(store, case.case_id)
                    began = time.perf_counter()
                    raw.write(rows)
                    theirs.append((time.perf_counter() - began) * 1000)
                    began = time.perf_counter()
                    raw.reserve()
                    raw.write(rows)
                    theirs2.append((time.perf_counter() - began) * 1000)
                    mine.append(written[-1])
                series["write"].append(median(mine))
                series["raw"].append(median(theirs))
                series["accept"].append(median(whole))
                series["raw2"].append(median(theirs2))
            total = blocks * rounds
            [(cases, ops)] = store.db.execute(
                "SELECT (SELECT COUNT(*) FROM cases), (SELECT COUNT(*) FROM operations)"
            ).fetchall()
            check(cases == ops == total, f"store holds {cases} cases, {ops} ops; {total} accepted")
            check(store.verify_audit().ok, "the audit chain does not verify after the run")
        finally:
            store.close()
            raw.conn.close()
    show(
        f"Durable case commit: {blocks} blocks of {rounds} rounds in turns"
        " (WAL, synchronous=FULL), block medians",
        [
            Row(
                "case + operation + audit commit (Store._write_case)",
                "ms",
                series["write"],
                series["raw"],
                "raw SQL writing the same three rows",
                "aim ≤ 1.5x",
                summary="case + op + audit commit",
            ),
            Row(
                "whole 受理: validate, reserve, build, commit",
                "ms",
                series["accept"],
                series["raw2"],
                "raw reservation commit + raw three rows",
            ),
        ],
    )


if __name__ == "__main__":
    main()
