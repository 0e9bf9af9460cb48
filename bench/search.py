"""Case search at a million cases: p50/p95 by ID number, by name and by local number.

The store is filled once through the same row mapping the store uses (`offline.cases.to_row`
shape, valid ID numbers) in large transactions, and kept in `bench/out/` for later runs. Each
search is timed through `Store.search_cases` (rows to pydantic models included) and, as the
reference, as the raw SQLite query with the same connection settings.
"""

from __future__ import annotations

import json
import random
import time
from datetime import datetime, timedelta
from pathlib import Path

from stdnum.cn import ric

from bench.report import Row, percentile, show
from clerk.demo import SAMPLES
from offline.clock import CN_TZ
from offline.db import open_db, write
from offline.models import CaseQuery
from offline.store import Store

OUT = Path(__file__).parent / "out"
QUERIES = 300
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
)
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


def _id_number(rng: random.Random) -> str:
    born = datetime(1940, 1, 1) + timedelta(days=rng.randrange(70 * 365))
    body = f"{rng.choice(REGIONS)}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return body + ric.calc_check_digit(body + "0")


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def fill(path: Path, count: int) -> None:
    """Write `count` cases over a year of days, 10 000 per transaction."""
    db = open_db(path)
    template = json.loads(SAMPLES[0][1].model_dump_json())
    rng = random.Random(2026)
    start = datetime(2025, 11, 1, 8, 30, tzinfo=CN_TZ)
    per_day = max(1, count // 365)
    batch = []
    for n in range(count):
        day, seq = divmod(n, per_day)
        at = start + timedelta(days=day, seconds=seq * 20)
        person = {**template["applicant"], "name": _name(rng), "id_number": _id_number(rng)}
        local_no = f"330212105-03-{at:%Y%m%d}-{seq + 1:04d}"
        payload = {
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
            "accepted_at": at.isoformat(),
            "promised_by": None,
            "deadline_rule": None,
            "ticket": None,
            "clerk_id": "c0107",
            "window_no": 3,
        }
        batch.append(
            (
                f"case-{n}",
                local_no,
                "330212105",
                3,
                template["item_code"],
                1,
                "城乡居民基本养老保险参保登记",
                "promised",
                rng.choice(STATUSES),
                person["name"],
                "resident_id",
                person["id_number"],
                at.isoformat(),
                "c0107",
                json.dumps(payload, ensure_ascii=False),
                at.isoformat(),
            )
        )
        if len(batch) == 10_000 or n == count - 1:
            with write(db):
                db.conn.executemany(
                    "INSERT INTO cases (case_id, local_no, centre_code, window_no, item_code,"
                    " item_version, item_name, case_type, status, applicant_name,"
                    " applicant_id_type, applicant_id_number, accepted_at, clerk_id, payload,"
                    " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    batch,
                )
            batch = []
    db.execute("ANALYZE")
    db.close()


def _sample(store: Store, column: str, rng: random.Random) -> list[str]:
    [(total,)] = store.db.execute("SELECT MAX(rowid) FROM cases").fetchall()
    picks = [rng.randrange(1, total + 1) for _ in range(QUERIES)]
    return [
        store.db.execute(f"SELECT {column} FROM cases WHERE rowid = ?", [p]).fetchone()[0]
        for p in picks
    ]


def _time(fn, keys: list[str]) -> list[float]:
    samples = []
    for key in keys:
        start = time.perf_counter()
        fn(key)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def main(count: int = 1_000_000) -> None:
    OUT.mkdir(exist_ok=True)
    path = OUT / f"cases-{count}.db"
    if not path.exists():
        began = time.perf_counter()
        fill(path.with_suffix(".tmp"), count)
        path.with_suffix(".tmp").rename(path)
        print(f"filled {count} cases in {time.perf_counter() - began:.0f} s")
    store = Store(path, centre_code="330212105", window_no=3)
    rng = random.Random(11)
    raw_sql = (
        "SELECT * FROM cases WHERE rowid IN (SELECT rowid FROM cases WHERE (local_no = ?1 OR"
        " official_no = ?1 OR applicant_id_number = ?1 OR agent_id_number = ?1 OR"
        " (applicant_name >= ?1 AND applicant_name < ?1 || char(1114111)))"
        " ORDER BY accepted_at DESC LIMIT 50) ORDER BY accepted_at DESC"
    )
    rows = []
    for label, column in (
        ("ID number", "applicant_id_number"),
        ("name", "applicant_name"),
        ("local number", "local_no"),
    ):
        keys = _sample(store, column, rng)
        store.search_cases(CaseQuery(text=keys[0]))  # warm the cache
        found = _time(lambda k: store.search_cases(CaseQuery(text=k)), keys)
        raw = _time(lambda k: store.db.execute(raw_sql, [k]).fetchall(), keys)
        for p in (50, 95):
            rows.append(
                Row(
                    f"search by {label}, p{p}",
                    percentile(found, p),
                    "ms",
                    percentile(raw, p),
                    "raw SQLite query, same settings",
                    "aim p95 < 20 ms" if p == 95 else "",
                )
            )
    store.close()
    show(f"Case search at {count:,} cases ({QUERIES} random existing keys each)", rows)
