"""What happens to a case after the window accepted it: 补正 received, 出件, 好差评, remarks.

Each step changes the case, queues its operation for the platform and appends its audit
entry in one transaction (call inside `offline.db.write`), like the acceptance itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlite_utils import Database
from uuid6 import uuid7

from offline import audit, outbox
from offline.models import (
    Case,
    CaseMaterial,
    CaseStatus,
    Evaluation,
    EvaluationLevel,
    OpType,
    Person,
)
from offline.privacy import mask_id

DELIVERABLE: tuple[CaseStatus, ...] = ("approved", "denied", "ready_for_pickup")
CORRECTABLE: tuple[CaseStatus, ...] = ("accepted_missing", "correction_requested")


class FollowUpError(ValueError):
    """The step is not possible for this case now; `str()` tells the clerk why."""


def _record(
    db: Database,
    case: Case,
    op_type: OpType,
    payload: dict[str, Any],
    *,
    clerk_id: str,
    window_no: int,
    at: datetime,
    detail: dict[str, Any],
) -> None:
    outbox.enqueue(
        db, case.case_id, op_type, payload, at=at, clerk_id=clerk_id, window_no=window_no
    )
    audit.append(
        db,
        clerk_id=clerk_id,
        window_no=window_no,
        action=op_type,
        target=case.local_no,
        detail=detail,
    )


def _update(db: Database, case: Case, status: CaseStatus, at: datetime) -> None:
    db.conn.execute(
        "UPDATE cases SET status = ?, payload = ?, updated_at = ? WHERE case_id = ?",
        [status, case.payload.model_dump_json(), at.isoformat(), case.case_id],
    )


def receive_correction(
    db: Database,
    case: Case,
    materials: list[CaseMaterial],
    note: str,
    *,
    clerk_id: str,
    window_no: int,
    at: datetime,
) -> Case:
    """补正: the citizen brought what was missing. The case's materials take the new entries;
    a 容缺 case with nothing missing any more becomes 已受理, a 补正 case goes back to review."""
    if case.status not in CORRECTABLE:
        raise FollowUpError(f"办件状态为“{case.status_name}”，不需要补正")
    given = {m.code: m for m in materials}
    merged = [given.get(m.code, m) for m in case.payload.materials]
    merged += [m for m in materials if m.code not in {x.code for x in merged}]
    updated = case.model_copy(
        update={"payload": case.payload.model_copy(update={"materials": merged})}
    )
    still_missing = any(m.status == "missing_allowed" for m in merged)
    status: CaseStatus = "in_review" if case.status == "correction_requested" else "accepted"
    if still_missing:
        status = case.status
    payload = {"materials": [m.model_dump(mode="json") for m in materials], "note": note}
    _update(db, updated, status, at)
    _record(
        db,
        case,
        "case.correction_received",
        payload,
        clerk_id=clerk_id,
        window_no=window_no,
        at=at,
        detail={"materials": sorted(given)},
    )
    return updated.model_copy(update={"status": status, "updated_at": at})


def deliver(
    db: Database,
    case: Case,
    receiver: Person,
    method: str,
    tracking_no: str | None,
    *,
    clerk_id: str,
    window_no: int,
    at: datetime,
) -> Case:
    """出件: the result handed over (the receiver's ID checked) or posted."""
    if case.status not in DELIVERABLE:
        raise FollowUpError(f"办件状态为“{case.status_name}”，尚不能出件")
    if method == "post" and not tracking_no:
        raise FollowUpError("邮寄出件须填写快递单号")
    payload = {
        "method": method,
        "receiver_name": receiver.name,
        "receiver_id_number": receiver.id_number,
        "tracking_no": tracking_no,
    }
    _update(db, case, "delivered", at)
    _record(
        db,
        case,
        "case.deliver",
        payload,
        clerk_id=clerk_id,
        window_no=window_no,
        at=at,
        detail={"method": method, "receiver": mask_id(receiver.id_number)},
    )
    return case.model_copy(update={"status": "delivered", "updated_at": at})


def evaluate(
    db: Database,
    case: Case,
    level: EvaluationLevel | None,
    channel: str,
    *,
    clerk_id: str,
    window_no: int,
    at: datetime,
) -> Evaluation:
    """好差评, one per case (a second attempt only after a 差评 was followed up). `None` records
    that the citizen left without rating: kept and audited here, but not sent, since the
    contract's levels have no "not rated" (docs/design-notes.md)."""
    [(done,)] = db.conn.execute(
        "SELECT COUNT(*) FROM evaluations WHERE case_id = ?", [case.case_id]
    ).fetchall()
    if done:
        raise FollowUpError("该办件已评价，一件一评")
    evaluation = Evaluation(
        evaluation_id=str(uuid7()),
        case_id=case.case_id,
        level=level,
        channel=channel,  # type: ignore[arg-type]
        clerk_id=clerk_id,
        window_no=window_no,
        at=at,
    )
    row = evaluation.model_dump(mode="json", exclude={"comment"})
    db.conn.execute(
        f"INSERT INTO evaluations ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
        list(row.values()),
    )
    if level is None:
        audit.append(
            db,
            clerk_id=clerk_id,
            window_no=window_no,
            action="evaluation.none",
            target=case.local_no,
        )
        return evaluation
    payload = evaluation.model_dump(mode="json", exclude={"case_id", "at"})
    _record(
        db,
        case,
        "evaluation.create",
        payload,
        clerk_id=clerk_id,
        window_no=window_no,
        at=at,
        detail={"level": level, "channel": channel},
    )
    return evaluation


def evaluation_of(db: Database, case_id: str) -> Evaluation | None:
    rows = list(db["evaluations"].rows_where("case_id = ?", [case_id], order_by="attempt DESC"))
    if not rows:
        return None
    return Evaluation.model_validate({**rows[0], "comment": ""})
