"""The outbox: operations waiting for the platform, numbered per case in `seq` order.

`enqueue` must run in the same transaction as the case change it describes, so that a case
and the operation that tells the platform about it exist together or not at all.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlite_utils import Database
from uuid6 import uuid7

from offline.db import insert
from offline.models import Operation, OpType


def enqueue(
    db: Database,
    case_id: str,
    op_type: OpType,
    payload: dict[str, Any],
    *,
    at: datetime,
    clerk_id: str,
    window_no: int,
) -> Operation:
    """Append the case's next operation. Call inside `offline.db.write`."""
    [(last,)] = db.conn.execute(
        "SELECT COALESCE(MAX(seq), 0) FROM operations WHERE case_id = ?", [case_id]
    ).fetchall()
    op = Operation(
        op_id=str(uuid7()),
        case_id=case_id,
        seq=last + 1,
        type=op_type,
        at=at,
        clerk_id=clerk_id,
        window_no=window_no,
        payload=payload,
    )
    insert(
        db,
        "operations",
        {
            **op.model_dump(mode="json", exclude={"payload", "last_error"}),
            "payload": json.dumps(op.payload, ensure_ascii=False, sort_keys=True),
            "created_at": at.isoformat(),
        },
    )
    return op


def _operation(row: dict[str, Any]) -> Operation:
    fields = {k: row[k] for k in Operation.model_fields if k in row}
    return Operation.model_validate({**fields, "payload": json.loads(row["payload"])})


def for_case(db: Database, case_id: str) -> list[Operation]:
    rows = db["operations"].rows_where("case_id = ?", [case_id], order_by="seq")
    return [_operation(row) for row in rows]


def counts(db: Database) -> dict[str, int]:
    """Operations per state, every state present."""
    found = dict(db.execute("SELECT state, COUNT(*) FROM operations GROUP BY state").fetchall())
    return {
        state: found.get(state, 0) for state in ("pending", "in_flight", "acked", "quarantined")
    }
