"""Case search and the desk's case list at a million cases.

The store is filled once (kept in `bench/out/`) with a year of cases as a window writes them:
each case with its `case.accept` operation and its audit entry, realistic names (surnames
weighted as in life, so 王 alone matches ~15 % of all cases, a full name a few hundred) and
valid ID numbers. Keys are drawn from existing cases: ID number, local number, full name,
surname with the first given character, and a surname alone; each search asks for the
desk's page of 200.

Figures go through the store as the desk does (`Store.case_lines`, or on a store without
list lines `Store.search_cases`; rows to objects included). The reference is
the very SQL the store ran for that call, caught with SQLite's trace hook and replayed on a
raw connection (rows fetched, no models): what is left is our own Python. Figure and
reference take turns key by key; three blocks of keys give min / median / max of the p95.
"""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from stdnum.cn import ric

from bench.report import OUT, Row, check, percentile, show
from clerk.demo import SAMPLES
from offline.clock import CN_TZ
from offline.db import PRAGMAS, open_db, write
from offline.models import CaseQuery
from offline.store import Store

PAGE = 200  # the desk's list (clerk.window.Desk.cases)
BLOCKS, KEYS = 3, 100
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
)
WEIGHTS = [1 / (n + 1) ** 0.9 for n in range(len(SURNAMES))]  # 王 ~15 %, 程 ~0.6 %
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红建国志文斌辉鹏宇浩然子轩梓涵欣怡"
)
REGIONS = ["330212", "330203", "330205", "330211", "330206", "330281", "330282", "330226"]
STATUSES = ["accepted"] * 3 + [
    "accepted_missing",
    "refused",
    "in_review",
    "approved",
    "ready_for_pickup",
    "delivered",
    "closed",
]
CASE_COLUMNS = (
    "case_id, local_no, centre_code, window_no, item_code, item_version, item_name, case_type,"
    " status, applicant_name, applicant_id_type, applicant_id_number, accepted_at, promised_by,"
    " clerk_id, payload, updated_at"
)
OP_COLUMNS = "op_id, case_id, seq, type, at, clerk_id, window_no, payload, state, created_at"
AUDIT_COLUMNS = "id, at, clerk_id, window_no, action, target, detail, prev_hash, hash"


def _id_number(rng: random.Random) -> str:
    born = datetime(1940, 1, 1) + timedelta(days=rng.randrange(70 * 365))
    body = f"{rng.choice(REGIONS)}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return body + ric.calc_check_digit(body + "0")


def _name(rng: random.Random) -> str:
    surname = rng.choices(SURNAMES, WEIGHTS)[0]
    return surname + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _marks(columns: str) -> str:
    return ", ".join("?" * len(columns.split(",")))


def fill(path: Path, count: int) -> None:
    """`count` cases over a year, each with its operation and audit entry, 10 000 a
    transaction (the store's own write path would take hours at a million)."""
    db = open_db(path)
    template = json.loads(SAMPLES[0][1].model_dump_json())
    rng = random.Random(2026)
    start = datetime(2025, 11, 1, 8, 30, tzinfo=CN_TZ)
    per_day = max(1, count // 365)
    cases: list[tuple[Any, ...]] = []
    ops: list[tuple[Any, ...]] = []
    audits: list[tuple[Any, ...]] = []
    prev = "0" * 64
    for n in range(count):
        day, seq = divmod(n, per_day)
        at = start + timedelta(days=day, seconds=seq * 20)
        when = at.isoformat()
        person = {**template["applicant"], "name": _name(rng), "id_number": _id_number(rng)}
        local_no = f"330212105-03-{at:%Y%m%d}-{seq + 1:04d}"
        promised = (at + timedelta(days=12)).date().isoformat()
        payload = json.dumps(
            {
                "local_no": local_no,
                "centre_code": "330212105",
                "item": {
                    "code": template["item_code"],
                    "version": 1,
                    "name": "城乡居民基本养老保险参保登记",
                },
                "case_type": "promised",
                "applicant": person,
                "agent": None,
                "form": template["form"],
                "materials": [],
                "accepted_at": when,
                "promised_by": promised,
                "deadline_rule": None,
                "ticket": None,
                "clerk_id": "c0107",
                "window_no": 3,
            },
            ensure_ascii=False,
        )
        case_id = f"case-{n}"
        cases.append(
            (case_id, local_no, "330212105", 3, template["item_code"], 1,
             "城乡居民基本养老保险参保登记", "promised", rng.choice(STATUSES), person["name"],
             "resident_id", person["id_number"], when, promised, "c0107", payload, when)
        )  # fmt: skip
        state = "acked" if n < count - 200 else "pending"
        ops.append((f"op-{n}", case_id, 1, "case.accept", when, "c0107", 3, payload, state, when))
        detail = json.dumps({"item": template["item_code"], "status": "accepted"})
        digest = hashlib.sha256(f"{n}{when}{local_no}{detail}{prev}".encode()).hexdigest()
        audits.append((n + 1, when, "c0107", 3, "case.accept", local_no, detail, prev, digest))
        prev = digest
        if len(cases) == 10_000 or n == count - 1:
            with write(db):
                for table, columns, rows in (
                    ("cases", CASE_COLUMNS, cases),
                    ("operations", OP_COLUMNS, ops),
                    ("audit_log", AUDIT_COLUMNS, audits),
                ):
                    db.conn.executemany(
                        f"INSERT INTO {table} ({columns}) VALUES ({_marks(columns)})", rows
                    )
            cases, ops, audits = [], [], []
    db.execute("ANALYZE")
    db.close()


def prepared(count: int) -> Path:
    """The filled store for `count` cases, made once and kept."""
    OUT.mkdir(exist_ok=True)
    path = OUT / f"cases-v2-{count}.db"
    if not path.exists():
        began = time.perf_counter()
        fill(path.with_suffix(".tmp"), count)
        path.with_suffix(".tmp").rename(path)
        print(f"filled {count} cases with operations and audit rows in", end=" ")
        print(f"{time.perf_counter() - began:.0f} s", flush=True)
    return path


class Replay:
    """Catches the SQL a store call runs, to run the same statements raw."""

    def __init__(self, store: Store, path: Path) -> None:
        self.store = store
        self.raw = sqlite3.connect(path, isolation_level=None)
        for pragma in PRAGMAS[1:]:
            self.raw.execute(pragma)

    def catch(self, call: Callable[[], Any]) -> list[str]:
        caught: list[str] = []
        self.store.db.conn.set_trace_callback(caught.append)
        try:
            call()
        finally:
            self.store.db.conn.set_trace_callback(None)
        reads = [s for s in caught if s.lstrip().upper().startswith(("SELECT", "WITH"))]
        check(reads, "the store ran no SELECT for this call")
        return reads

    def run(self, statements: list[str]) -> int:
        return sum(len(self.raw.execute(s).fetchall()) for s in statements)


def _timed(call: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    result = call()
    return (time.perf_counter() - began) * 1000, result


def _pairs(
    replay: Replay, calls: Sequence[Callable[[], Any]], right: Callable[[int, Any], bool]
) -> tuple[list[float], list[float]]:
    """p95 per block of the calls and of their own SQL replayed raw, in turns; every
    answer checked with `right(n, answer)`."""
    ours, theirs = [], []
    size = max(1, len(calls) // BLOCKS)
    for block in range(BLOCKS):
        mine, raw = [], []
        for n, call in enumerate(calls[block * size : (block + 1) * size], block * size):
            statements = replay.catch(call)
            steps = [partial(_timed, call), partial(_timed, partial(replay.run, statements))]
            if n % 2:
                steps.reverse()
            results = [step() for step in steps]
            if n % 2:
                results.reverse()
            (took, found), (raw_took, raw_count) = results
            check(right(n, found), f"wrong answer for call {n}: {str(found)[:200]}")
            check(raw_count >= len(found), f"{len(found)} rows from {raw_count} rows of SQL")
            mine.append(took)
            raw.append(raw_took)
        ours.append(percentile(mine, 95))
        theirs.append(percentile(raw, 95))
    return ours, theirs


def _keys(store: Store, rng: random.Random, n: int) -> dict[str, list[str]]:
    [(total,)] = store.db.execute("SELECT MAX(rowid) FROM cases").fetchall()
    picks = [rng.randrange(1, total + 1) for _ in range(n)]
    rows = [
        store.db.execute(
            "SELECT applicant_id_number, local_no, applicant_name FROM cases WHERE rowid = ?",
            [p],
        ).fetchone()
        for p in picks
    ]
    return {
        "ID number": [r[0] for r in rows],
        "local number": [r[1] for r in rows],
        "full name": [r[2] for r in rows],
        "surname + first given character": [r[2][:2] for r in rows],
        "surname alone": [r[2][:1] for r in rows],
    }


def _checker(label: str, texts: list[str]) -> Callable[[int, Any], bool]:
    """What a right answer to search `n` looks like: the case itself for a number, only
    names that start with the key (and at least one, but for a capped surname alone)."""

    def right(n: int, found: Any) -> bool:
        key = texts[n]
        if label == "ID number":
            return key in [_field(c, "applicant_id_number") for c in found]
        if label == "local number":
            return [c.local_no for c in found] == [key]
        names = [_field(c, "applicant_name") for c in found]
        enough = bool(names) or label == "surname alone"
        return enough and len(names) <= PAGE and all(name.startswith(key) for name in names)

    return right


def _field(case: Any, name: str) -> str:
    """A list line's column, or the same from a full case's payload."""
    if hasattr(case, name):
        return str(getattr(case, name))
    person = case.payload.applicant
    return str(person.id_number if name == "applicant_id_number" else person.name)


def _desk(store: Store, home: Path) -> Any:
    from clerk import config
    from clerk.services import Services
    from clerk.window import Desk

    return Desk(Services(home=home, settings=config.load(home), store=store))


def main(count: int = 1_000_000) -> None:
    path = prepared(count)
    store = Store(path, centre_code="330212105", window_no=3)
    replay = Replay(store, path)
    rng = random.Random(11)
    rows = []
    try:
        keys = _keys(store, rng, BLOCKS * KEYS)
        for label, texts in keys.items():
            # what the desk's search calls (a store without list lines: the full cases)
            find = getattr(store, "case_lines", store.search_cases)
            calls = [partial(find, CaseQuery(text=t, limit=PAGE)) for t in texts]
            calls[0]()  # warm the cache
            ours, theirs = _pairs(replay, calls, _checker(label, texts))
            rows.append(
                Row(
                    f"search by {label}, p95",
                    "ms",
                    ours,
                    theirs,
                    "its own SQL replayed raw",
                    "aim p95 < 20 ms",
                    summary="surname-only search at 1 M cases, p95"
                    if label == "surname alone"
                    else "",
                )
            )
        with tempfile.TemporaryDirectory() as home:
            desk = _desk(store, Path(home))
            listing = [partial(desk.cases, "") for _ in range(BLOCKS * 20)]
            check(len(listing[0]()) == PAGE, "the desk's list does not show a page of 200")
            ours, theirs = _pairs(replay, listing, lambda n, found: len(found) == PAGE)
            rows.append(
                Row(
                    f"desk case list of {PAGE} (Desk.cases), p95",
                    "ms",
                    ours,
                    theirs,
                    "its own SQL replayed raw",
                    "aim ≤ 2x",
                    summary=f"desk case list of {PAGE}",
                )
            )
    finally:
        store.close()
        replay.raw.close()
    show(
        f"Case search and list at {count:,} cases (with operations and audit rows),"
        f" page of {PAGE}, {BLOCKS} blocks of keys, p95 per block",
        rows,
    )


if __name__ == "__main__":
    main()
