"""Cases in SQLite: one row per case, its accepted payload as JSON beside indexed columns.

Search is by index only (local number, official number, ID numbers, name prefix, status and
acceptance date), so that it stays fast with a million cases on the window PC.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from offline.db import insert as db_insert
from offline.models import Case, CaseLine, CasePayload, CaseQuery, Refusal

_NAME_END = "\U0010ffff"  # upper bound of a name-prefix range


def to_row(case: Case) -> dict[str, Any]:
    p = case.payload
    return {
        "case_id": case.case_id,
        "local_no": p.local_no,
        "official_no": case.official_no,
        "centre_code": p.centre_code,
        "window_no": p.window_no,
        "item_code": p.item.code,
        "item_version": p.item.version,
        "item_name": p.item.name,
        "case_type": p.case_type,
        "status": case.status,
        "applicant_name": p.applicant.name,
        "applicant_id_type": p.applicant.id_type,
        "applicant_id_number": p.applicant.id_number,
        "agent_id_number": p.agent.id_number if p.agent else None,
        "accepted_at": p.accepted_at.isoformat(),
        "promised_by": p.promised_by.isoformat() if p.promised_by else None,
        "deadline_verified": int(case.deadline_verified),
        "clerk_id": p.clerk_id,
        "ticket": p.ticket,
        "payload": p.model_dump_json(),
        "refusal": case.refusal.model_dump_json() if case.refusal else None,
        "server_version": case.server_version,
        "flagged": case.flagged,
        "source_ref": case.source_ref,
        "purged": int(case.purged),
        "updated_at": case.updated_at.isoformat(),
    }


def from_row(row: dict[str, Any]) -> Case:
    purged = bool(row.get("purged"))
    return Case(
        case_id=row["case_id"],
        status=row["status"],
        payload=CasePayload.model_validate_json(
            row["payload"], context={"purged": purged, "stored": True}
        ),
        refusal=Refusal.model_validate_json(row["refusal"]) if row["refusal"] else None,
        official_no=row["official_no"],
        server_version=row["server_version"],
        deadline_verified=bool(row["deadline_verified"]),
        flagged=row["flagged"],
        source_ref=row["source_ref"],
        purged=purged,
        updated_at=datetime.fromisoformat(row["updated_at"]),
    )


def insert(db: Database, case: Case) -> None:
    db_insert(db, "cases", to_row(case))
    _index_attachments(db, case.case_id, case.payload)


def set_payload(db: Database, case_id: str, payload: CasePayload) -> None:
    """Replace a case's payload, keeping the index of its scans (`case_attachments`) true."""
    db.conn.execute(
        "UPDATE cases SET payload = ? WHERE case_id = ?", [payload.model_dump_json(), case_id]
    )
    db.conn.execute("DELETE FROM case_attachments WHERE case_id = ?", [case_id])
    _index_attachments(db, case_id, payload)


def _index_attachments(db: Database, case_id: str, payload: CasePayload) -> None:
    """Which case holds which scan: retention then finds the scans still in use by index."""
    shas = {sha for m in payload.materials for sha in m.attachments}
    db.conn.executemany(
        "INSERT OR IGNORE INTO case_attachments (sha256, case_id) VALUES (?, ?)",
        [(sha, case_id) for sha in shas],
    )


def get(db: Database, key: str) -> Case | None:
    """A case by its case_id, local number or official number; or by the serial alone
    (`0008`, as clerks say it): the newest case with that serial, today's first."""
    sql = (
        "SELECT * FROM cases WHERE case_id = ? UNION ALL SELECT * FROM cases WHERE local_no = ?"
        " UNION ALL SELECT * FROM cases WHERE official_no = ?"
    )
    args = [key, key, key]
    if pattern := serial_pattern(key):
        sql += " UNION ALL SELECT * FROM (SELECT * FROM cases WHERE local_no LIKE ?"
        sql += " ORDER BY accepted_at DESC LIMIT 1)"
        args.append(pattern)
    rows = db.execute(sql + " LIMIT 1", args)
    columns = [c[0] for c in rows.description]
    row = rows.fetchone()
    return from_row(dict(zip(columns, row, strict=True))) if row else None


def serial_pattern(text: str) -> str | None:
    """`8` or `0008`, the day's serial at the end of a local number, as a LIKE pattern on
    `local_no` (`%-0008`); None for anything else."""
    text = text.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 5):
        return None
    return f"%-{int(text):04d}"


# A surname alone (one character) matches a sixth of all cases for 王 or 李: sorting them
# all by date is what made such a search slow. It looks at the newest 20 000 cases only
# (more than a year of a township window's work); with a given name it finds every case.
SURNAME_ALONE_WINDOW = 20_000
LINE_COLUMNS = (
    "case_id, local_no, item_name, applicant_name, applicant_id_number, status, accepted_at,"
    " promised_by, flagged"
)


def search(db: Database, query: CaseQuery) -> list[Case]:
    """Cases matching every filter of `query`, newest first."""
    sql, args = _search_sql("*", query)
    return [from_row(row) for row in db.query(sql, args)]


def lines(db: Database, query: CaseQuery) -> list[CaseLine]:
    """The same search as `search`, as list lines built from their columns alone."""
    sql, args = _search_sql(LINE_COLUMNS, query)
    return [
        CaseLine(
            case_id, local_no, item, name, id_number, status, accepted_at,
            date.fromisoformat(promised) if promised else None, flagged,
        )
        for case_id, local_no, item, name, id_number, status, accepted_at, promised, flagged
        in db.conn.execute(sql, args)
    ]  # fmt: skip


def _filters(query: CaseQuery) -> tuple[list[str], list[Any]]:
    """The status and date filters, as SQL conditions and their arguments."""
    where: list[str] = []
    args: list[Any] = []
    if query.status:
        where.append(f"status IN ({', '.join('?' * len(query.status))})")
        args += query.status
    if query.accepted_from:
        where.append("accepted_at >= ?")
        args.append(query.accepted_from.isoformat())
    if query.accepted_to:
        where.append("accepted_at < ?")
        args.append((query.accepted_to + timedelta(days=1)).isoformat())
    return where, args


def _search_sql(columns: str, query: CaseQuery) -> tuple[str, list[Any]]:
    """One query per way a text can match (each on its own index, each already newest first
    and cut to the page), united, then sorted and cut once more: no step ever sorts more
    than a page, however common the name."""
    where, args = _filters(query)
    order = "ORDER BY accepted_at DESC LIMIT ?"
    text = (query.text or "").strip().upper()
    if not text:
        sql = f"SELECT {columns} FROM cases"
        return (f"{sql} WHERE {' AND '.join(where)} {order}" if where else f"{sql} {order}"), [
            *args,
            query.limit,
        ]
    also = "".join(f" AND {w}" for w in where)
    parts: list[str] = []
    params: list[Any] = []
    for column in ("local_no", "official_no", "applicant_id_number", "agent_id_number"):
        parts.append(f"SELECT rowid FROM cases WHERE {column} = ?{also}")
        params += [text, *args]
    if serial := serial_pattern(text):  # newest first on the date index, cut to the page
        parts.append(f"SELECT rowid FROM cases WHERE local_no LIKE ?{also} {order}")
        params += [serial, *args, query.limit]
    name = "applicant_name >= ? AND applicant_name < ?"
    names = [text, text + _NAME_END]
    if len(text) == 1:  # a surname alone: newest first on the date index, which holds the
        # name, from the newest case back to the window's edge at most
        edge = "SELECT accepted_at FROM cases ORDER BY accepted_at DESC LIMIT 1 OFFSET ?"
        edge = f"COALESCE(({edge}), '')"
        parts.append(
            f"SELECT rowid FROM cases INDEXED BY cases_accepted_name"
            f" WHERE accepted_at >= {edge} AND {name}{also} {order}"
        )
        params += [SURNAME_ALONE_WINDOW - 1, *names, *args, query.limit]
    else:
        parts.append(f"SELECT rowid FROM cases WHERE {name}{also} {order}")
        params += [*names, *args, query.limit]
    united = " UNION ALL ".join(f"SELECT rowid FROM ({part})" for part in parts)
    return f"SELECT {columns} FROM cases WHERE rowid IN ({united}) {order}", [
        *params,
        query.limit,
    ]
