"""The audit log: append-only, hash-chained, so that any edit or deletion is detected.

Each entry's hash covers its own fields and the previous entry's hash. Triggers refuse UPDATE
and DELETE; someone who edits the file with the triggers dropped breaks the chain, and
`verify` names the first entry that no longer fits. Details hold masked data only.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from offline.clock import now
from offline.db import insert
from offline.models import AuditEvent
from offline.privacy import scrub

GENESIS = "0" * 64
log = logging.getLogger("offline.audit")


def _digest(fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _fields(row: dict[str, Any]) -> dict[str, Any]:
    return {
        k: row[k]
        for k in ("id", "at", "clerk_id", "window_no", "action", "target", "detail", "prev_hash")
    }


def append(
    db: Database,
    *,
    clerk_id: str,
    window_no: int | None,
    action: str,
    target: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one entry. Call inside `offline.db.write` so the chain cannot fork."""
    last = db.conn.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    row: dict[str, Any] = {
        "id": (last[0] + 1) if last else 1,
        "at": now().isoformat(),
        "clerk_id": clerk_id,
        "window_no": window_no,
        "action": action,
        "target": scrub(target),
        "detail": json.dumps(_masked(detail or {}), ensure_ascii=False, sort_keys=True),
        "prev_hash": last[1] if last else GENESIS,
    }
    row["hash"] = _digest(row)
    insert(db, "audit_log", row)
    log.info(
        "audit #%d %s %s by %s window %s", row["id"], action, row["target"], clerk_id, window_no
    )
    # the row is ours, just written: built, not validated again (it was a third of the
    # CPU of a durable 受理 commit); entries read back from the file are validated
    return AuditEvent.model_construct(
        **{**row, "at": datetime.fromisoformat(row["at"]), "detail": json.loads(row["detail"])}
    )


def _masked(value: Any) -> Any:
    """Mask identifiers in every string of a detail, however deeply nested."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return value


def _event(row: dict[str, Any]) -> AuditEvent:
    return AuditEvent.model_validate({**row, "detail": json.loads(row["detail"])})


def entries(db: Database, *, limit: int = 100, clerk_id: str | None = None) -> list[AuditEvent]:
    """The newest entries first, optionally of one clerk."""
    where, args = ("clerk_id = ?", [clerk_id]) if clerk_id else (None, [])
    rows = db["audit_log"].rows_where(where, args, order_by="id DESC", limit=limit)
    return [_event(row) for row in rows]


def for_target(db: Database, target: str) -> list[AuditEvent]:
    """Every entry about one case (or clerk, or ticket), oldest first."""
    rows = db["audit_log"].rows_where("target = ?", [target], order_by="id")
    return [_event(row) for row in rows]


@dataclass(frozen=True)
class ChainCheck:
    """Result of `verify`: `broken_at` is the id of the first entry that does not fit."""

    count: int
    broken_at: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify(db: Database) -> ChainCheck:
    """Walk the whole chain in id order and check every link and every hash."""
    prev_hash, expected_id, count = GENESIS, 1, 0
    for row in db.query("SELECT * FROM audit_log ORDER BY id"):
        if row["id"] != expected_id:
            return ChainCheck(count, expected_id, f"第{expected_id}条记录缺失")
        if row["prev_hash"] != prev_hash:
            return ChainCheck(count, row["id"], "与上一条记录的链接断开")
        if _digest(_fields(row)) != row["hash"]:
            return ChainCheck(count, row["id"], "记录内容被修改")
        prev_hash, expected_id, count = row["hash"], expected_id + 1, count + 1
    return ChainCheck(count)
