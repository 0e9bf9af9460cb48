"""Retention: personal data leaves the window once the platform has it and the case is over.

A case the platform acknowledged (no operation of it unacknowledged) and closed, unchanged
for `days`, keeps its number, item, dates and status; names, ID numbers, phones, addresses,
the form and the scans go. Scans shared with a case that is kept stay. Audited.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlite_utils import Database

from offline import audit
from offline.blobs import BlobStore
from offline.models import PURGED

_PERSON_FIELDS = {"name": PURGED, "id_number": PURGED, "phone": None, "address": None}


def due(db: Database, days: int, now: datetime) -> list[str]:
    """case_ids whose personal data may go."""
    cutoff = (now - timedelta(days=days)).isoformat()
    return [
        r[0]
        for r in db.conn.execute(
            "SELECT case_id FROM cases WHERE status = 'closed' AND updated_at <= ? AND "
            "applicant_id_number != ? AND NOT EXISTS (SELECT 1 FROM operations AS o WHERE "
            "o.case_id = cases.case_id AND o.state != 'acked')",
            [cutoff, PURGED],
        )
    ]


def purge(
    db: Database, blobs: BlobStore | None, case_ids: list[str], *, by: str, window_no: int
) -> list[str]:
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
            "agent_id_number = NULL WHERE case_id = ?",
            [json.dumps(data, ensure_ascii=False), PURGED, PURGED, case_id],
        )
    if case_ids:
        audit.append(
            db,
            clerk_id=by,
            window_no=window_no,
            action="retention.purge",
            detail={"cases": len(case_ids)},
        )
    still_used = {
        s
        for (p,) in db.conn.execute("SELECT payload FROM cases")
        for m in json.loads(p).get("materials", [])
        for s in m.get("attachments", [])
    }
    return sorted(scans - still_used) if blobs else []
