"""跑动次数: how many times a citizen had to come in person for a case, and the report of it.

Counted from a case's operations only, so that the window and the platform, which hold the same
operations, count the same: the intake is one visit (受理 or 不予受理: the citizen was there);
each 补正 brought in person (`in_person`, default true) one more; 出件 at a window one more,
unless the case was 当场办结 (handed over at the intake itself). A 邮寄 result or 补正 by post or
electronic licence adds none. A case is done once its result is out (出件, or 当场办结).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from offline.models import CasePayload

REFUSAL_TYPES = ("case.reject",)


@dataclass(frozen=True)
class CaseVisits:
    """One case's visits, with what the report groups it by."""

    case_id: str
    local_no: str
    item_code: str
    item_name: str
    window_no: int
    accepted_at: datetime
    refused: bool
    done: bool
    corrections: int  # 补正 brought in person
    pickups: int  # 出件 at a window

    @property
    def visits(self) -> int:
        return 1 + self.corrections + self.pickups

    @property
    def month(self) -> str:
        return f"{self.accepted_at:%Y-%m}"


def count(
    case_id: str, payload: dict[str, Any], ops: Iterable[tuple[str, dict[str, Any]]]
) -> CaseVisits:
    """A case's visits from its accepted payload and its operations (type, payload) in order."""
    known = CasePayload.model_fields  # a reject's payload carries its reason beside the case
    case = CasePayload.model_validate({k: v for k, v in payload.items() if k in known})
    method = case.delivery.method if case.delivery else "pickup"
    refused, corrections, pickups, delivered = False, 0, 0, False
    for kind, body in ops:
        if kind in REFUSAL_TYPES:
            refused = True
        elif kind == "case.correction_received" and body.get("in_person", True):
            corrections += 1
        elif kind == "case.deliver":
            delivered = True
            if body.get("method") == "pickup" and method != "on_the_spot":
                pickups += 1
    return CaseVisits(
        case_id=case_id,
        local_no=case.local_no,
        item_code=case.item.code,
        item_name=case.item.name,
        window_no=case.window_no,
        accepted_at=case.accepted_at,
        refused=refused,
        done=not refused and (delivered or method == "on_the_spot"),
        corrections=corrections,
        pickups=pickups,
    )


def from_store(
    db: Database, start: date | None = None, end: date | None = None
) -> list[CaseVisits]:
    """The cases this window accepted itself (it holds their operations), from `start` to
    `end` by acceptance date when given: read through the acceptance date's index, so that a
    month's report does not read every case the window ever had."""
    low = start.isoformat() if start else ""
    high = (end + timedelta(days=1)).isoformat() if end else "9999"
    where = "accepted_at >= ? AND accepted_at < ?"
    ops: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for case_id, kind, body in db.conn.execute(
        "SELECT case_id, type, payload FROM operations WHERE case_id IN"
        f" (SELECT case_id FROM cases WHERE {where}) ORDER BY case_id, seq",
        [low, high],
    ):
        ops.setdefault(case_id, []).append((kind, json.loads(body)))
    out = []
    for case_id, payload in db.conn.execute(
        f"SELECT case_id, payload FROM cases WHERE {where}", [low, high]
    ):
        if case_id in ops:
            out.append(count(case_id, json.loads(payload), ops[case_id]))
    return out


# --- the report ------------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the report: a group (item, window or month) and its figures."""

    group: str  # item, window, month
    key: str
    name: str
    cases: int = 0  # accepted (不予受理 not counted)
    done: int = 0  # result out
    at_most_once: int = 0  # done with at most one visit (最多跑一次)
    zero_extra: int = 0  # no visit after the intake so far (零跑动)
    more: int = 0  # more than one visit
    more_correction: int = 0  # of those: 补正 in person
    more_pickup: int = 0  # of those: 出件 at a window
    visits: int = 0

    @property
    def rate(self) -> float | None:
        """最多跑一次率 of the cases done; None when none is done yet."""
        return round(self.at_most_once / self.done, 4) if self.done else None

    def add(self, case: CaseVisits) -> None:
        self.cases += 1
        self.visits += case.visits
        self.done += case.done
        self.at_most_once += case.done and case.visits <= 1
        self.zero_extra += case.visits == 1
        if case.visits > 1:
            self.more += 1
            self.more_correction += case.corrections > 0
            self.more_pickup += case.pickups > 0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rate": self.rate}


@dataclass
class Report:
    start: date
    end: date
    rows: list[Row] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "rows": [r.as_dict() for r in self.rows],
        }

    def as_csv(self) -> str:
        out = io.StringIO()
        columns = list(Row("", "", "").as_dict())
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in self.rows:
            writer.writerow(row.as_dict())
        return out.getvalue()


def report(cases: Iterable[CaseVisits], start: date, end: date) -> Report:
    """Per item, per window and per month, the cases accepted from `start` to `end`."""
    groups: dict[tuple[str, str], Row] = {}
    for case in sorted(cases, key=lambda c: (c.accepted_at, c.local_no)):
        if case.refused or not start <= case.accepted_at.date() <= end:
            continue
        keys = (
            ("item", case.item_code, case.item_name),
            ("window", str(case.window_no), f"{case.window_no}号窗口"),
            ("month", case.month, case.month),
        )
        for group, key, name in keys:
            groups.setdefault((group, key), Row(group, key, name)).add(case)
    order = {"item": 0, "window": 1, "month": 2}
    rows = sorted(groups.values(), key=lambda r: (order[r.group], r.key))
    return Report(start, end, rows)
