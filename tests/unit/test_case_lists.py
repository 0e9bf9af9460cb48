"""Case lists are built from their own columns and agree with the full search; every way a
text can match runs on an index, and a surname alone looks at the newest cases only."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from offline import cases
from offline.clock import CN_TZ
from offline.models import CaseQuery
from offline.store import Store
from tests.conftest import ZHANG, pension

PEOPLE = [("张三", ZHANG), ("张三丰", "11010519491231002X"), ("李四", "440524188001010014")]
QUERIES = [
    {},
    {"text": "张"},
    {"text": "张三"},
    {"text": "李四"},
    {"text": "11010519491231002x"},
    {"status": ["accepted_missing"]},
    {"text": "张", "status": ["accepted"]},
    {"text": "张三", "accepted_to": date(2026, 11, 2)},
    {"accepted_from": date(2026, 11, 3)},
    {"text": "王"},
    {"limit": 1},
]


@pytest.fixture
def filled(store: Store) -> Store:
    base = datetime(2026, 11, 2, 9, 0, tzinfo=CN_TZ)
    for n, (name, number) in enumerate(PEOPLE):
        store.accept(
            pension(name, number, missing=n == 1), clerk_id="c0107", at=base + timedelta(days=n)
        )
    return store


@pytest.mark.parametrize("query", QUERIES)
def test_lines_show_what_the_full_cases_hold(filled, query):
    full = filled.search_cases(CaseQuery(**query))
    lines = filled.case_lines(CaseQuery(**query))
    assert [
        (
            c.case_id,
            c.local_no,
            c.payload.item.name,
            c.payload.applicant.name,
            c.payload.applicant.id_number,
            c.status,
            c.payload.promised_by,
            c.flagged,
        )
        for c in full
    ] == [
        (
            line.case_id,
            line.local_no,
            line.item_name,
            line.applicant_name,
            line.applicant_id_number,
            line.status,
            line.promised_by,
            line.flagged,
        )
        for line in lines
    ]


def test_a_surname_alone_looks_at_the_newest_cases_only(filled, monkeypatch):
    monkeypatch.setattr(cases, "SURNAME_ALONE_WINDOW", 2)

    def names(**query):
        return [line.applicant_name for line in filled.case_lines(CaseQuery(**query))]

    assert names(text="张") == ["张三丰"]  # 张三 is the third newest case
    assert names(text="张", status=["accepted_missing", "accepted"]) == ["张三丰"]
    assert names(text="张三") == ["张三丰", "张三"]  # with a given name: every case
    assert names(text=ZHANG) == ["张三"]  # numbers: every case


@pytest.mark.parametrize("query", QUERIES)
def test_every_search_runs_on_indexes(filled, query):
    sql, args = cases._search_sql("*", CaseQuery(**query))
    plan = [row[-1] for row in filled.db.execute(f"EXPLAIN QUERY PLAN {sql}", args)]
    scans = [step for step in plan if step.startswith("SCAN cases")]
    assert all("INDEX" in step for step in scans), plan
