"""Schema migrations, append-only: never edit one that has shipped, add the next instead.

`open_db` applies the pending ones at start-up, each in a transaction with its record.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

migrations = Migrations("clerk")


@migrations()
def m001_foundation(db: Database) -> None:
    """Cases, the outbox, case numbers, catalog, calendar, clerks and the audit log."""
    db.executescript(
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

        CREATE TABLE cases (
            case_id TEXT PRIMARY KEY,
            local_no TEXT NOT NULL UNIQUE,
            official_no TEXT,
            centre_code TEXT NOT NULL,
            window_no INTEGER NOT NULL,
            item_code TEXT NOT NULL,
            item_version INTEGER NOT NULL,
            item_name TEXT NOT NULL,
            case_type TEXT NOT NULL,
            status TEXT NOT NULL,
            applicant_name TEXT NOT NULL,
            applicant_id_type TEXT NOT NULL,
            applicant_id_number TEXT NOT NULL,
            agent_id_number TEXT,
            accepted_at TEXT NOT NULL,
            promised_by TEXT,
            deadline_verified INTEGER NOT NULL DEFAULT 1,
            clerk_id TEXT NOT NULL,
            ticket TEXT,
            payload TEXT NOT NULL,
            refusal TEXT,
            server_version INTEGER,
            flagged TEXT,
            source_ref TEXT,
            updated_at TEXT NOT NULL
        );
        CREATE UNIQUE INDEX cases_source_ref ON cases (source_ref) WHERE source_ref IS NOT NULL;
        CREATE INDEX cases_official_no ON cases (official_no) WHERE official_no IS NOT NULL;
        CREATE INDEX cases_applicant_id ON cases (applicant_id_number);
        CREATE INDEX cases_agent_id ON cases (agent_id_number) WHERE agent_id_number IS NOT NULL;
        CREATE INDEX cases_applicant_name ON cases (applicant_name, accepted_at);
        CREATE INDEX cases_accepted_at ON cases (accepted_at);
        CREATE INDEX cases_status_accepted ON cases (status, accepted_at);

        CREATE TABLE operations (
            op_id TEXT PRIMARY KEY,
            case_id TEXT NOT NULL REFERENCES cases (case_id),
            seq INTEGER NOT NULL,
            type TEXT NOT NULL,
            at TEXT NOT NULL,
            clerk_id TEXT NOT NULL,
            window_no INTEGER NOT NULL,
            payload TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT,
            last_error TEXT,
            server_version INTEGER,
            acked_at TEXT,
            created_at TEXT NOT NULL,
            UNIQUE (case_id, seq)
        );
        CREATE INDEX operations_unacked ON operations (state, created_at)
            WHERE state != 'acked';

        -- Case numbers are reserved here in their own committed transaction, so a number
        -- once shown is never issued again, even if the case that took it never committed.
        CREATE TABLE local_no_seq (
            centre_code TEXT NOT NULL,
            window_no INTEGER NOT NULL,
            day TEXT NOT NULL,
            last INTEGER NOT NULL,
            PRIMARY KEY (centre_code, window_no, day)
        );

        CREATE TABLE catalog_items (
            code TEXT NOT NULL,
            version INTEGER NOT NULL,
            name TEXT NOT NULL,
            category TEXT NOT NULL,
            initials TEXT NOT NULL,
            pinyin TEXT NOT NULL,
            retired INTEGER NOT NULL DEFAULT 0,
            item TEXT NOT NULL,
            PRIMARY KEY (code, version)
        );

        CREATE TABLE calendar_years (
            year INTEGER PRIMARY KEY,
            version TEXT NOT NULL,
            days TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );

        CREATE TABLE clerks (
            clerk_id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('clerk', 'admin')),
            pin_hash TEXT NOT NULL,
            failed_attempts INTEGER NOT NULL DEFAULT 0,
            locked_until TEXT,
            disabled INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        );

        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            clerk_id TEXT NOT NULL,
            window_no INTEGER,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            detail TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        );
        CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
        CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
        """
    )


@migrations()
def m002_window_desk(db: Database) -> None:
    """Evaluations, consultations and handover notes of the desk; the case timeline's index."""
    db.executescript(
        """
        CREATE TABLE evaluations (
            evaluation_id TEXT PRIMARY KEY,
            case_id TEXT NOT NULL REFERENCES cases (case_id),
            attempt INTEGER NOT NULL,
            level TEXT,
            channel TEXT NOT NULL,
            clerk_id TEXT NOT NULL,
            window_no INTEGER NOT NULL,
            at TEXT NOT NULL,
            UNIQUE (case_id, attempt)
        );

        CREATE TABLE consultations (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            clerk_id TEXT NOT NULL,
            window_no INTEGER NOT NULL,
            item_code TEXT,
            ticket TEXT
        );

        CREATE TABLE handover_notes (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            window_no INTEGER NOT NULL,
            by_clerk TEXT NOT NULL,
            for_clerk TEXT NOT NULL,
            text TEXT NOT NULL,
            read_at TEXT
        );

        CREATE INDEX audit_log_target ON audit_log (target);
        """
    )


@migrations()
def m003_evaluation_followups(db: Database) -> None:
    """The platform's 回访 of a 差评 (`evaluation.followup`), shown with the case."""
    db.executescript(
        """
        ALTER TABLE evaluations ADD COLUMN followup TEXT;
        ALTER TABLE evaluations ADD COLUMN followup_at TEXT;
        """
    )


@migrations()
def m004_intake_drafts(db: Database) -> None:
    """The intake in progress at a window, saved as each field is left (`offline.drafts`)."""
    db.executescript(
        """
        CREATE TABLE intake_drafts (
            draft_id TEXT PRIMARY KEY,
            window_no INTEGER NOT NULL,
            revision INTEGER NOT NULL,
            saved_at TEXT NOT NULL,
            data TEXT NOT NULL,
            done INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX intake_drafts_window ON intake_drafts (window_no, saved_at) WHERE done = 0;
        """
    )


@migrations()
def m005_sync_hardening(db: Database) -> None:
    """Purged cases as a flag with an index for retention; which case holds which scan, so
    retention never reads every payload; changes from the platform that failed validation."""
    db.executescript(
        """
        ALTER TABLE cases ADD COLUMN purged INTEGER NOT NULL DEFAULT 0;
        UPDATE cases SET purged = 1 WHERE applicant_id_number = '已清除';
        CREATE INDEX cases_retention ON cases (status, updated_at) WHERE purged = 0;

        CREATE TABLE case_attachments (
            sha256 TEXT NOT NULL,
            case_id TEXT NOT NULL REFERENCES cases (case_id),
            PRIMARY KEY (sha256, case_id)
        ) WITHOUT ROWID;
        INSERT OR IGNORE INTO case_attachments (sha256, case_id)
            SELECT a.value, c.case_id FROM cases AS c,
                json_each(c.payload, '$.materials') AS m,
                json_each(m.value, '$.attachments') AS a;
        CREATE INDEX case_attachments_case ON case_attachments (case_id);

        CREATE TABLE quarantined_changes (
            id INTEGER PRIMARY KEY,
            received_at TEXT NOT NULL,
            kind TEXT NOT NULL,
            case_id TEXT,
            reason TEXT NOT NULL,
            body TEXT NOT NULL
        );
        """
    )


@migrations()
def m006_bundles(db: Database) -> None:
    """一件事 bundles of the catalog (platform-api 1.1), searched like items."""
    db.executescript(
        """
        CREATE TABLE catalog_bundles (
            code TEXT NOT NULL,
            version INTEGER NOT NULL,
            name TEXT NOT NULL,
            initials TEXT NOT NULL,
            pinyin TEXT NOT NULL,
            retired INTEGER NOT NULL DEFAULT 0,
            bundle TEXT NOT NULL,
            PRIMARY KEY (code, version)
        );
        """
    )


@migrations()
def m007_case_list_index(db: Database) -> None:
    """Lists and a surname alone walk the cases newest first and read the name from the
    index itself (`offline.cases.search`): the date index carries the applicant's name."""
    db.executescript(
        """
        DROP INDEX IF EXISTS cases_accepted_at;
        CREATE INDEX IF NOT EXISTS cases_accepted_name ON cases (accepted_at, applicant_name);
        """
    )
