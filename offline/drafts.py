"""Intake drafts: what a clerk has typed for an application that is not decided yet.

The desk writes the draft as each field is left, so a lock, a logout, a call of the next
ticket or a crash loses nothing; the next login offers it back. A draft holds the fields as
typed (not yet valid: that is what 受理 checks), and it goes in the same transaction as the
case it became, so a draft is never offered back for a case already accepted.
"""

from __future__ import annotations

from sqlite_utils import Database

from offline.models import Draft


def save(db: Database, draft: Draft) -> bool:
    """Keep `draft` unless a newer revision is stored or it was decided or thrown away (a save
    that arrives late must not bring it back); True when kept."""
    changed = db.conn.execute(
        "INSERT INTO intake_drafts (draft_id, window_no, revision, saved_at, data) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (draft_id) DO UPDATE SET "
        "revision = excluded.revision, saved_at = excluded.saved_at, data = excluded.data "
        "WHERE excluded.revision > intake_drafts.revision AND intake_drafts.done = 0",
        [
            draft.draft_id,
            draft.window_no,
            draft.revision,
            draft.saved_at.isoformat(),
            draft.model_dump_json(),
        ],
    ).rowcount
    return bool(changed)


def for_window(db: Database, window_no: int) -> list[Draft]:
    """The window's open drafts, oldest first (the citizen who waited longest)."""
    rows = db.conn.execute(
        "SELECT data FROM intake_drafts WHERE window_no = ? AND done = 0 ORDER BY saved_at",
        [window_no],
    ).fetchall()
    return [Draft.model_validate_json(row[0]) for row in rows]


def get(db: Database, draft_id: str) -> Draft | None:
    row = db.conn.execute(
        "SELECT data FROM intake_drafts WHERE draft_id = ? AND done = 0", [draft_id]
    ).fetchone()
    return Draft.model_validate_json(row[0]) if row else None


def discard(db: Database, draft_id: str, window_no: int) -> None:
    """Decided or thrown away: the personal data goes, the id stays so that a save still on
    its way is refused."""
    db.conn.execute(
        "INSERT INTO intake_drafts (draft_id, window_no, revision, saved_at, data, done) "
        "VALUES (?, ?, 0, '', '', 1) ON CONFLICT (draft_id) DO UPDATE SET data = '', done = 1",
        [draft_id, window_no],
    )
