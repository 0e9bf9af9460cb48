"""Applying what the platform sends back through `/changes`.

A page of changes and its cursor are committed together. Every change is validated against
the contract's models (`offline.models.Change`) before it touches the store, and before the
write lock is taken (`check`, then `apply` in the transaction): one that does not validate,
or that would break the store (a snapshot under a case number this window holds for another
case), is kept aside in `quarantined_changes` for the admin (`clerk sync status`) and the
rest of the page goes on, so nothing the platform sends can break listing or a later run.
A change not newer than the local copy is skipped; a change to a case with operations the
platform has not acknowledged never overwrites it: the case is flagged for a clerk instead
(the DHIS2 rule). Kinds this client does not know (a later platform's) are skipped.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

import pydantic
from sqlite_utils import Database

from offline import audit, bundles, cases, catalog, followup, outbox
from offline.clock import now
from offline.models import (
    CASE_STATUS_NAMES,
    CHANGE_KINDS,
    AnyChange,
    BundleChange,
    BundleRetiredChange,
    CalendarChange,
    Case,
    FollowupChange,
    ItemChange,
    ItemRetiredChange,
    SnapshotChange,
    StatusChange,
)
from offline.problems import first_problem

log = logging.getLogger("offline.changes")
_CHANGE: pydantic.TypeAdapter[AnyChange] = pydantic.TypeAdapter(AnyChange)  # type: ignore[arg-type, unused-ignore]
MAX_KEPT = 100_000  # characters of an invalid change kept for the admin


@dataclass
class Applied:
    applied: int = 0
    skipped: int = 0
    flagged: int = 0
    followups: int = 0
    quarantined: int = 0
    unknown: int = 0  # status changes of cases this window does not hold


@dataclass
class Checked:
    """A page checked before the write lock is taken: the valid changes (an item's or a
    bundle's with its catalog row, pinyin keys built), the invalid ones with their reasons."""

    valid: list[tuple[AnyChange, dict[str, Any] | None]] = field(default_factory=list)
    invalid: list[tuple[Any, str]] = field(default_factory=list)
    skipped: int = 0


def check(page: list[Any]) -> Checked:
    """Validate a page against the contract's models; no store needed, so no lock held."""
    out = Checked()
    for raw in page:
        kind = raw.get("kind") if isinstance(raw, dict) else None
        if kind not in CHANGE_KINDS:
            out.skipped += 1
            continue
        try:
            change = _CHANGE.validate_python(raw)
        except pydantic.ValidationError as error:
            out.invalid.append((raw, _first_error(error)))
            continue
        built = None
        if isinstance(change, ItemChange):
            built = catalog.row(change.item)
        elif isinstance(change, BundleChange):
            built = bundles.row(change.bundle)
        out.valid.append((change, built))
    return out


def apply(db: Database, page: Checked, window_no: int) -> Applied:
    """Apply one checked page; call inside `offline.db.write` with storing its cursor."""
    out = Applied(skipped=page.skipped, quarantined=len(page.invalid))
    for raw, reason in page.invalid:
        keep_aside(db, raw, reason)
    case_ids = [c.case_id for c, _ in page.valid if isinstance(c, StatusChange | SnapshotChange)]
    busy = outbox.unacked_cases(db, case_ids) if case_ids else set()
    for change, built in page.valid:
        _one(db, change, built, busy, out, window_no)
    return out


def _one(
    db: Database,
    change: AnyChange,
    built: dict[str, Any] | None,
    busy: set[str],
    out: Applied,
    window_no: int,
) -> None:
    if isinstance(change, StatusChange | SnapshotChange):
        _status(db, change, change.case_id in busy, out, window_no)
    elif isinstance(change, ItemChange | BundleChange):
        assert built is not None
        (catalog if isinstance(change, ItemChange) else bundles).store_rows(db, [built])
        out.applied += 1
    elif isinstance(change, ItemRetiredChange):
        db.conn.execute(
            "UPDATE catalog_items SET retired = 1 WHERE code = ? AND version = ?",
            [change.code, change.version],
        )
        out.applied += 1
    elif isinstance(change, BundleRetiredChange):
        bundles.retire(db, change.code, change.version)
        out.applied += 1
    elif isinstance(change, CalendarChange):
        days = json.dumps([d.model_dump(mode="json") for d in change.days])
        db.conn.execute(
            "INSERT OR REPLACE INTO calendar_years VALUES (?, ?, ?, ?)",
            [change.year, change.version, days, now().isoformat()],
        )
        out.applied += 1
    elif isinstance(change, FollowupChange) and followup.record_followup(
        db, change.model_dump(mode="json"), window_no
    ):
        out.applied += 1
        out.followups += 1
    else:
        out.skipped += 1


def keep_aside(db: Database, raw: Any, reason: str) -> None:
    """Keep a change the store must not take, with the reason, for the admin to see."""
    body = json.dumps(raw, ensure_ascii=True, default=str)[:MAX_KEPT]
    case_id = raw.get("case_id") if isinstance(raw, dict) else None
    db.conn.execute(
        "INSERT INTO quarantined_changes (received_at, kind, case_id, reason, body) "
        "VALUES (?, ?, ?, ?, ?)",
        [
            now().isoformat(),
            str(raw.get("kind"))[:40] if isinstance(raw, dict) else "?",
            case_id[:64] if isinstance(case_id, str) else None,
            reason,
            body,
        ],
    )
    log.warning("change from the platform kept aside: %s", reason)


def _first_error(error: pydantic.ValidationError) -> str:
    where, why = first_problem(error.errors())
    return f"平台发来的变更不符合接口约定：{where}：{why}"[:300]


def _status(
    db: Database, change: StatusChange | SnapshotChange, busy: bool, out: Applied, window_no: int
) -> None:
    row = db.conn.execute(
        "SELECT server_version, local_no FROM cases WHERE case_id = ?", [change.case_id]
    ).fetchone()
    if isinstance(change, SnapshotChange) and change.device_seq:
        outbox.follow_platform(db, change.case_id, change.device_seq)
    if row is None and isinstance(change, SnapshotChange):
        _add_snapshot(db, change, out, window_no)
        return
    if row is None:  # a case this window does not hold: a light snapshot of a lost one?
        out.skipped += 1
        out.unknown += 1
        return
    if row[0] is not None and change.server_version <= row[0]:
        out.skipped += 1
        return
    if busy:
        name = CASE_STATUS_NAMES[change.status]
        note = f"平台状态已变为“{name}”，本窗口尚有未上报的操作，请核对"
        db.conn.execute("UPDATE cases SET flagged = ? WHERE case_id = ?", [note, change.case_id])
        out.flagged += 1
        return
    db.conn.execute(
        "UPDATE cases SET status = ?, official_no = COALESCE(?, official_no), server_version = ?,"
        " updated_at = ? WHERE case_id = ?",
        [
            change.status,
            change.official_no,
            change.server_version,
            now().isoformat(),
            change.case_id,
        ],
    )
    audit.append(
        db,
        clerk_id="platform",
        window_no=window_no,
        action="platform.status",
        target=row[1],
        detail={"status": change.status, "version": change.server_version},
    )
    out.applied += 1


def _add_snapshot(db: Database, change: SnapshotChange, out: Applied, window_no: int) -> None:
    """A case accepted at another window of the centre, so that any window can hand out its
    result (统一窗口出件). Its number must not be one this window holds for another case."""
    payload = change.case
    clash = db.conn.execute(
        "SELECT case_id FROM cases WHERE local_no = ?", [payload.local_no]
    ).fetchone()
    if clash is not None:
        keep_aside(
            db,
            change.model_dump(mode="json"),
            f"平台发来的办件 {payload.local_no} 与本机另一件办件编号相同：可能两台电脑设置了"
            "同一个窗口号，或本机从旧备份恢复。请管理员核对",
        )
        out.quarantined += 1
        return
    case = Case(
        case_id=change.case_id,
        status=change.status,
        payload=payload,
        refusal=change.refusal,
        official_no=change.official_no,
        server_version=change.server_version,
        updated_at=now(),
    )
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
