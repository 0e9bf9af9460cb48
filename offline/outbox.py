"""The outbox: operations waiting for the platform, numbered per case in `seq` order.

`enqueue` must run in the same transaction as the case change it describes, so that a case
and the operation that tells the platform about it exist together or not at all.

Ordering is per case, not per window: an operation waits only for the earlier operations of
its own case. When one is quarantined (refused, in conflict, or its scan is missing here),
the later operations of the same case are set aside with it, including those made after,
and everything else keeps flowing (`docs/design-notes.md`, "Per-case ordering").

A query for operations in any state but `acked` also says `state != 'acked'`: only then does
SQLite use the partial index of unacknowledged operations instead of scanning them all (a
million acknowledged ones at a year of a window's work; under the write lock, 400 ms).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlite_utils import Database
from uuid6 import uuid7

from offline.clock import now
from offline.db import insert
from offline.models import Operation, OpType

SET_ASIDE = "本办件有前序操作被隔离，此操作随之搁置"


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
    [(last, held, floor)] = db.conn.execute(
        "SELECT COALESCE(MAX(seq), 0), MAX(state = 'quarantined'), "
        "(SELECT CAST(value AS INTEGER) FROM meta WHERE key = ?) FROM operations "
        "WHERE case_id = ?",
        [FLOOR + case_id, case_id],
    ).fetchall()
    last = max(last, floor or 0)
    # Built, not validated: every field is ours and the payload is the dump of a model that
    # was validated already; validating it again was half the CPU of a durable 受理 commit.
    op = Operation.model_construct(
        op_id=str(uuid7()),
        case_id=case_id,
        seq=last + 1,
        type=op_type,
        at=at,
        clerk_id=clerk_id,
        window_no=window_no,
        payload=payload,
        state="quarantined" if held else "pending",
        last_error=SET_ASIDE if held else None,
    )
    insert(
        db,
        "operations",
        {
            **op.model_dump(mode="json", exclude={"payload"}),
            "payload": json.dumps(op.payload, ensure_ascii=False, sort_keys=True),
            "created_at": at.isoformat(),
        },
    )
    return op


FLOOR = "seq_floor:"  # meta: the highest seq the platform holds from this device for a case


def follow_platform(db: Database, case_id: str, device_seq: int) -> None:
    """After a restore the platform may hold operations of a case from this device that the
    restored store lost: the case's next operation follows them (`enqueue`), so its `seq` is
    never one the platform holds already (`seq_taken`)."""
    [(last,)] = db.conn.execute(
        "SELECT COALESCE(MAX(seq), 0) FROM operations WHERE case_id = ?", [case_id]
    ).fetchall()
    if device_seq > last:
        db.conn.execute(
            "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = "
            "MAX(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
            [FLOOR + case_id, device_seq],
        )


def _operation(row: dict[str, Any]) -> Operation:
    fields = {k: row[k] for k in Operation.model_fields if k in row}
    return Operation.model_validate({**fields, "payload": json.loads(row["payload"])})


def for_case(db: Database, case_id: str) -> list[Operation]:
    rows = db["operations"].rows_where("case_id = ?", [case_id], order_by="seq")
    return [_operation(row) for row in rows]


def unsent(db: Database, limit: int, after: int = 0) -> list[tuple[int, Operation]]:
    """Pending operations after rowid `after`, in the order they were made (so each case's in
    `seq` order), with their rowids; never one of a case that has a quarantined operation.
    (`state != 'acked'` lets SQLite use the partial index of unacknowledged operations.)"""
    rows = db.query(
        "SELECT rowid AS _rowid, * FROM operations AS o WHERE state = 'pending' "
        "AND state != 'acked' AND rowid > ? "
        "AND NOT EXISTS (SELECT 1 FROM operations AS q WHERE q.case_id = o.case_id "
        "AND q.state = 'quarantined') ORDER BY rowid LIMIT ?",
        [after, limit],
    )
    return [(row["_rowid"], _operation(row)) for row in rows]


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


@dataclass
class Results:
    """A batch's answers sorted by what the outbox does with them."""

    acked: list[tuple[str, int | None]] = field(default_factory=list)  # op_id, server_version
    quarantined: list[tuple[str, str]] = field(default_factory=list)  # op_id, reason
    retry: list[tuple[str, str]] = field(default_factory=list)  # op_id, reason


def record(db: Database, results: Results) -> int:
    """Apply a batch's answers; call inside `offline.db.write`. Returns how many later
    operations were set aside with the quarantined ones."""
    stamp = now().isoformat()
    db.conn.executemany(
        "UPDATE operations SET state = 'acked', last_error = NULL, server_version = "
        "COALESCE(?, server_version), acked_at = COALESCE(acked_at, ?) WHERE op_id = ?",
        [(version, stamp, op_id) for op_id, version in results.acked],
    )
    db.conn.executemany(
        "UPDATE operations SET state = 'pending', last_error = ? WHERE op_id = ?",
        [(reason, op_id) for op_id, reason in results.retry],
    )
    return sum(set_aside(db, op_id, reason) - 1 for op_id, reason in results.quarantined)


def case_of(db: Database, op_id: str) -> str | None:
    row = db.conn.execute("SELECT case_id FROM operations WHERE op_id = ?", [op_id]).fetchone()
    return row[0] if row else None


def set_aside(db: Database, op_id: str, reason: str) -> int:
    """Quarantine an operation with `reason`, and the later unacknowledged operations of its
    case with it; returns how many were set aside. Call inside `offline.db.write`."""
    row = db.conn.execute("SELECT case_id, seq FROM operations WHERE op_id = ?", [op_id]).fetchone()
    if row is None:
        return 0
    set_state(db, [op_id], "quarantined", reason)
    later = db.conn.execute(
        "UPDATE operations SET state = 'quarantined', last_error = ? WHERE case_id = ? "
        "AND seq > ? AND state IN ('pending', 'in_flight')",
        [SET_ASIDE, row[0], row[1]],
    ).rowcount
    return 1 + later


def requeue_case(db: Database, case_id: str) -> int:
    """Every quarantined operation of the case is pending again; they go in `seq` order."""
    return db.conn.execute(
        "UPDATE operations SET state = 'pending', last_error = NULL "
        "WHERE case_id = ? AND state = 'quarantined'",
        [case_id],
    ).rowcount


def reset_in_flight(db: Database) -> int:
    """After a crash, operations that were being sent are pending again (resending is safe:
    the platform keeps every op_id forever)."""
    return db.conn.execute(  # `!= 'acked'`: by the partial index, not a scan under the lock
        "UPDATE operations SET state = 'pending' WHERE state = 'in_flight' AND state != 'acked'"
    ).rowcount


def quarantined(db: Database) -> list[Operation]:
    rows = db.query(
        "SELECT * FROM operations WHERE state = 'quarantined' AND state != 'acked' ORDER BY rowid"
    )
    return [_operation(row) for row in rows]


def unacked_cases(db: Database, case_ids: list[str]) -> set[str]:
    marks = ", ".join("?" * len(case_ids))
    rows = db.conn.execute(
        f"SELECT DISTINCT case_id FROM operations WHERE state != 'acked' AND case_id IN ({marks})",
        case_ids,
    ).fetchall()
    return {r[0] for r in rows}
