"""What happens to a case after the window accepted it: 补正 received, 出件, 好差评, remarks.

Each step changes the case, queues its operation for the platform and appends its audit
entry in one transaction (call inside `offline.db.write`), like the acceptance itself.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from sqlite_utils import Database
from uuid6 import uuid7

from offline import audit, cases, outbox
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
from usererror import UserError

DELIVERABLE: tuple[CaseStatus, ...] = ("approved", "denied", "ready_for_pickup")
CORRECTABLE: tuple[CaseStatus, ...] = ("accepted_missing", "correction_requested")
BAD: tuple[EvaluationLevel, ...] = ("dissatisfied", "very_dissatisfied")  # 差评


class FollowUpError(UserError, ValueError):
    """The step is not possible for this case now; `str()` tells the clerk why."""


def correctable(case: Case) -> bool:
    """补正 is possible while the platform asks for it or a material is still 容缺, whatever
    else happened to the case since (synced, reviewed, ready for pickup)."""
    return case.status in CORRECTABLE or bool(case.missing)


def is_party(case: Case, person: Person) -> bool:
    """The applicant or the agent of the case: who may collect its result without a proxy."""
    parties = [case.payload.applicant, case.payload.agent]
    return any(p is not None and p.id_number == person.id_number for p in parties)


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
        "UPDATE cases SET status = ?, updated_at = ? WHERE case_id = ?",
        [status, at.isoformat(), case.case_id],
    )
    cases.set_payload(db, case.case_id, case.payload)


def receive_correction(
    db: Database,
    case: Case,
    materials: list[CaseMaterial],
    note: str,
    *,
    clerk_id: str,
    window_no: int,
    at: datetime,
    in_person: bool = True,
) -> Case:
    """补正: the citizen brought what was missing (`in_person`), or sent it by post or an
    electronic licence (which costs them no visit). The case's materials take the new entries;
    a 容缺 case with nothing missing any more becomes 已受理, a 补正 case goes back to review,
    and a case further on (审查中, 待出件) keeps its status with its materials now complete."""
    if not correctable(case):
        raise FollowUpError(f"办件状态为“{case.status_name}”，没有待补正的材料")
    given = {m.code: m for m in materials}
    merged = [given.get(m.code, m) for m in case.payload.materials]
    merged += [m for m in materials if m.code not in {x.code for x in merged}]
    updated = case.model_copy(
        update={"payload": case.payload.model_copy(update={"materials": merged})}
    )
    still_missing = any(m.status == "missing_allowed" for m in merged)
    status: CaseStatus = case.status
    if case.status == "correction_requested":
        status = "in_review"
    elif case.status == "accepted_missing" and not still_missing:
        status = "accepted"
    payload = {
        "materials": [m.model_dump(mode="json") for m in materials],
        "note": note,
        "in_person": in_person,
    }
    _update(db, updated, status, at)
    _record(
        db,
        case,
        "case.correction_received",
        payload,
        clerk_id=clerk_id,
        window_no=window_no,
        at=at,
        detail={"materials": sorted(given), "in_person": in_person},
    )
    return updated.model_copy(update={"status": status, "updated_at": at})


TRACKING_MAX = 32
_TRACKING = re.compile(rf"^[A-Za-z0-9]{{6,{TRACKING_MAX}}}$")


def check_tracking_no(tracking_no: str | None) -> None:
    """A courier's tracking number (SF1234567890, EA123456789CN): letters and digits only, of a
    sane length, so that what is stored and printed can be looked up on the courier's site."""
    if not tracking_no:
        raise FollowUpError("邮寄出件须填写快递单号")
    if not _TRACKING.match(tracking_no):
        raise FollowUpError(f"快递单号须为6至{TRACKING_MAX}位字母或数字，请核对后重填")


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
    proxy_checked: bool = False,
) -> Case:
    """出件: the result handed over or posted. Handed over to the applicant or the agent, or to
    someone else once the clerk has checked their 授权委托书 (`proxy_checked`)."""
    if case.status not in DELIVERABLE:
        raise FollowUpError(f"办件状态为“{case.status_name}”，尚不能出件")
    if method == "post":
        check_tracking_no(tracking_no)
    proxy = method == "pickup" and not is_party(case, receiver)
    if proxy and not proxy_checked:
        raise FollowUpError("领取人不是申请人或代办人，须核验其授权委托书")
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
        detail={"method": method, "receiver": mask_id(receiver.id_number), "proxy": proxy}
        | ({"tracking_no": tracking_no} if tracking_no else {}),
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
    attempt: Literal[1, 2] = 2 if may_rate_again(db, case.case_id) else 1
    if attempt == 1 and evaluation_of(db, case.case_id):
        raise FollowUpError("该办件已评价，一件一评（差评经回访整改后可再评一次）")
    evaluation = Evaluation(
        evaluation_id=str(uuid7()),
        case_id=case.case_id,
        level=level,
        channel=channel,  # type: ignore[arg-type]
        clerk_id=clerk_id,
        window_no=window_no,
        at=at,
        attempt=attempt,
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


def record_followup(db: Database, change: dict[str, Any], window_no: int) -> bool:
    """The platform followed up a 差评 (回访整改): kept with the evaluation and in the case's
    history, where the clerk sees it. False for an evaluation this window does not have."""
    row = db.conn.execute(
        "SELECT c.local_no FROM evaluations e JOIN cases c ON c.case_id = e.case_id "
        "WHERE e.evaluation_id = ?",
        [change["evaluation_id"]],
    ).fetchone()
    if row is None:
        return False
    text = str(change.get("text", ""))
    db.conn.execute(
        "UPDATE evaluations SET followup = ?, followup_at = ? WHERE evaluation_id = ?",
        [text, change.get("at"), change["evaluation_id"]],
    )
    audit.append(
        db,
        clerk_id="platform",
        window_no=window_no,
        action="evaluation.followup",
        target=row[0],
        detail={"text": text},
    )
    return True


def may_rate_again(db: Database, case_id: str) -> bool:
    """A first 差评 that the platform has followed up: the citizen may rate once more."""
    row = db.conn.execute(
        "SELECT attempt, level, followup FROM evaluations WHERE case_id = ? "
        "ORDER BY attempt DESC LIMIT 1",
        [case_id],
    ).fetchone()
    return bool(row) and row[0] == 1 and row[1] in BAD and row[2] is not None


def evaluation_of(db: Database, case_id: str) -> Evaluation | None:
    rows = list(db["evaluations"].rows_where("case_id = ?", [case_id], order_by="attempt DESC"))
    if not rows:
        return None
    row = {k: v for k, v in rows[0].items() if k in Evaluation.model_fields}
    return Evaluation.model_validate({**row, "comment": ""})
