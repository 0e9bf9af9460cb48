"""Applying what the platform sends back through `/changes`.

A page of changes and its cursor are committed together. A change not newer than the local
copy is skipped; a change to a case with operations the platform has not acknowledged never
overwrites it: the case is flagged for a clerk instead (the DHIS2 rule).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import pydantic
from sqlite_utils import Database

from offline import audit, cases, catalog, followup, outbox
from offline.clock import now
from offline.models import (
    CASE_STATUS_NAMES,
    CalendarYear,
    Case,
    CasePayload,
    Refusal,
    ServiceItem,
)

log = logging.getLogger("offline.changes")


@dataclass
class Applied:
    applied: int = 0
    skipped: int = 0
    flagged: int = 0
    followups: int = 0


def apply(db: Database, changes: list[dict[str, Any]], window_no: int) -> Applied:
    """Apply one page; call inside `offline.db.write` together with storing its cursor."""
    out = Applied()
    case_kinds = ("case.status", "case.snapshot")
    case_ids = [c["case_id"] for c in changes if c.get("kind") in case_kinds]
    busy = outbox.unacked_cases(db, case_ids) if case_ids else set()
    for change in changes:
        kind = change.get("kind")
        if kind in case_kinds:
            _status(db, change, change["case_id"] in busy, out, window_no)
        elif kind == "catalog.item":
            item = ServiceItem.model_validate(change["item"])
            db.table("catalog_items").upsert(catalog.row(item), pk=("code", "version"))
            out.applied += 1
        elif kind == "catalog.item_retired":
            db.conn.execute(
                "UPDATE catalog_items SET retired = 1 WHERE code = ? AND version = ?",
                [change["code"], change["version"]],
            )
            out.applied += 1
        elif kind == "calendar.year":
            year = CalendarYear.model_validate({k: change[k] for k in ("year", "version", "days")})
            days = json.dumps([d.model_dump(mode="json") for d in year.days])
            db.conn.execute(
                "INSERT OR REPLACE INTO calendar_years VALUES (?, ?, ?, ?)",
                [year.year, year.version, days, now().isoformat()],
            )
            out.applied += 1
        elif kind == "evaluation.followup" and followup.record_followup(db, change, window_no):
            out.applied += 1
            out.followups += 1
        else:
            out.skipped += 1
    return out


def _status(db: Database, change: dict, busy: bool, out: Applied, window_no: int) -> None:
    row = db.conn.execute(
        "SELECT server_version, local_no FROM cases WHERE case_id = ?", [change["case_id"]]
    ).fetchone()
    version = int(change["server_version"])
    if row is None and change.get("kind") == "case.snapshot":
        _add_snapshot(db, change, out, window_no)
        return
    if row is None or (row[0] is not None and version <= row[0]):
        out.skipped += 1
        return
    status = change["status"]
    if busy:
        name = CASE_STATUS_NAMES.get(status, status)
        note = f"平台状态已变为“{name}”，本窗口尚有未上报的操作，请核对"
        db.conn.execute("UPDATE cases SET flagged = ? WHERE case_id = ?", [note, change["case_id"]])
        out.flagged += 1
        return
    db.conn.execute(
        "UPDATE cases SET status = ?, official_no = COALESCE(?, official_no), server_version = ?,"
        " updated_at = ? WHERE case_id = ?",
        [status, change.get("official_no"), version, now().isoformat(), change["case_id"]],
    )
    audit.append(
        db,
        clerk_id="platform",
        window_no=window_no,
        action="platform.status",
        target=row[1],
        detail={"status": status, "version": version},
    )
    out.applied += 1


def _add_snapshot(db: Database, change: dict, out: Applied, window_no: int) -> None:
    """A case accepted at another window of the centre, so that any window can hand out its
    result (统一窗口出件). A snapshot that does not validate is skipped and logged."""
    data = dict(change["case"])
    refusal = {k: data.pop(k) for k in ("reason", "refer_to") if k in data}
    try:
        payload = CasePayload.model_validate(data)
        case = Case(
            case_id=change["case_id"],
            status=change["status"],
            payload=payload,
            refusal=Refusal.model_validate(refusal) if refusal else None,
            official_no=change.get("official_no"),
            server_version=int(change["server_version"]),
            updated_at=now(),
        )
    except (ValueError, pydantic.ValidationError) as error:
        log.warning("snapshot of %s skipped: %s", change["case_id"], error)
        out.skipped += 1
        return
    cases.insert(db, case)
    audit.append(
        db,
        clerk_id="platform",
        window_no=window_no,
        action="platform.snapshot",
        target=payload.local_no,
        detail={"status": case.status},
    )
    out.applied += 1
