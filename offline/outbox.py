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

from offline.clock import now
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


def unsent(db: Database, limit: int) -> list[Operation]:
    """Pending operations in the order they were made (so each case's in `seq` order)."""
    rows = db.query(
        "SELECT * FROM operations WHERE state = 'pending' ORDER BY rowid LIMIT ?", [limit]
    )
    return [_operation(row) for row in rows]


def set_state(
    db: Database,
    op_ids: list[str],
    state: str,
    error: str | None = None,
    server_version: int | None = None,
) -> None:
    """Move operations on; `in_flight` is set before sending, so a crash mid-send is seen."""
    marks = ", ".join("?" * len(op_ids))
    acked = now().isoformat() if state == "acked" else None
    db.conn.execute(
        f"UPDATE operations SET state = ?, last_error = ?, server_version = COALESCE(?, "
        f"server_version), acked_at = COALESCE(?, acked_at), attempts = attempts + "
        f"(? = 'in_flight') WHERE op_id IN ({marks})",
        [state, error, server_version, acked, state, *op_ids],
    )


def reset_in_flight(db: Database) -> int:
    """After a crash, operations that were being sent are pending again (resending is safe:
    the platform keeps every op_id forever)."""
    return db.conn.execute(
        "UPDATE operations SET state = 'pending' WHERE state = 'in_flight'"
    ).rowcount


def quarantined(db: Database) -> list[Operation]:
    rows = db.query("SELECT * FROM operations WHERE state = 'quarantined' ORDER BY rowid")
    return [_operation(row) for row in rows]


def unacked_cases(db: Database, case_ids: list[str]) -> set[str]:
    marks = ", ".join("?" * len(case_ids))
    rows = db.conn.execute(
        f"SELECT DISTINCT case_id FROM operations WHERE state != 'acked' AND case_id IN ({marks})",
        case_ids,
    ).fetchall()
    return {r[0] for r in rows}
