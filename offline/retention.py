"""Retention: personal data leaves the window once the platform has it and the case is over.

A case the platform acknowledged (no operation of it unacknowledged) and closed, unchanged
for `days`, keeps its number, item, dates and status; names, ID numbers, phones, addresses,
the form and the scans go, and the case is flagged `purged`. Scans shared with a case that
is kept stay. Audited.

It runs after every sync, while the desk writes too, so it must never hold the write lock
for long: the cases due are found through the partial index `cases_retention` (only cases
not yet purged), the scans still in use through `case_attachments`, and the work is done in
batches of `BATCH` cases, each its own short transaction.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlite_utils import Database

from offline import audit
from offline.models import PURGED

BATCH = 20  # cases a transaction: its commit writes ~100 pages (row and four indices each)
_PERSON_FIELDS = {"name": PURGED, "id_number": PURGED, "phone": None, "address": None}


def due(db: Database, days: int, now: datetime, limit: int = BATCH) -> list[str]:
    """Up to `limit` case_ids whose personal data may go, found by index."""
    cutoff = (now - timedelta(days=days)).isoformat()
    return [
        r[0]
        for r in db.conn.execute(
            "SELECT case_id FROM cases INDEXED BY cases_retention WHERE status = 'closed' "
            "AND purged = 0 AND updated_at <= ? AND NOT EXISTS (SELECT 1 FROM operations AS o "
            "WHERE o.case_id = cases.case_id AND o.state != 'acked') LIMIT ?",
            [cutoff, limit],
        )
    ]


def purge(db: Database, case_ids: list[str], *, by: str, window_no: int) -> list[str]:
    """Strip the cases' personal data; call inside `offline.db.write`. Returns the scans
    (sha256) no kept case refers to any more, for the caller to delete after the commit."""
    scans: set[str] = set()
    for case_id in case_ids:
        [(payload,)] = db.conn.execute(
            "SELECT payload FROM cases WHERE case_id = ?", [case_id]
        ).fetchall()
        data = json.loads(payload)
        data["applicant"] |= _PERSON_FIELDS
        if data.get("agent"):
            data["agent"] |= _PERSON_FIELDS
        data["form"] = {}
        for material in data.get("materials", []):
            scans.update(material.get("attachments", []))
            material["attachments"] = []
        db.conn.execute(
            "UPDATE cases SET payload = ?, applicant_name = ?, applicant_id_number = ?, "
            "agent_id_number = NULL, purged = 1 WHERE case_id = ?",
            [json.dumps(data, ensure_ascii=False), PURGED, PURGED, case_id],
        )
        db.conn.execute("DELETE FROM case_attachments WHERE case_id = ?", [case_id])
    if case_ids:
        audit.append(
            db,
            clerk_id=by,
            window_no=window_no,
            action="retention.purge",
            detail={"cases": len(case_ids)},
        )
    return sorted(
        sha
        for sha in scans
        if db.conn.execute(
            "SELECT 1 FROM case_attachments WHERE sha256 = ? LIMIT 1", [sha]
        ).fetchone()
        is None
    )
