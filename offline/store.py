"""The window's local store: the one object the app, the CLI and the tests talk to.

Every public method is one unit of work under a lock (the TUI calls it from worker threads)
and returns pydantic models. A case, its outbox operation and its audit entry are committed
in one transaction; case numbers are reserved in a transaction of their own just before.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from uuid6 import uuid7

from offline import (
    audit,
    bundles,
    cases,
    catalog,
    changes,
    clerks,
    drafts,
    followup,
    handover,
    intake,
    numbering,
    outbox,
    retention,
    rowcheck,
    sync_status,
    visits,
)
from offline.audit import ChainCheck
from offline.blobs import BlobStore
from offline.bundles import BundleIntake
from offline.clock import now
from offline.db import ReadOnlyConnection, TargetExists, connect, open_db, unwritable, write
from offline.intake import Intake, IntakeError
from offline.models import (
    AuditEvent,
    Bundle,
    BundleLink,
    CalendarYear,
    Case,
    CaseLine,
    CaseMaterial,
    CasePayload,
    CaseQuery,
    CaseState,
    CaseStatus,
    Catalog,
    Clerk,
    DeadlineRule,
    Draft,
    Evaluation,
    EvaluationLevel,
    ItemRef,
    Operation,
    OpType,
    Person,
    Refusal,
    ServiceItem,
)
from offline.numbering import issue_local_no
from offline.visits import CaseVisits
from offline.workdays import WorkCalendar

Progress = Callable[[int, int], None]  # (done, total), told by long imports as they go
BACKUP_STEP = 4096  # pages (16 MB of 4 KB pages) copied between two progress reports


@dataclass(frozen=True)
class BackfillEntry:
    """One 补录 line, checked: its line number in the file names it in messages."""

    line: int
    intake: Intake
    at: datetime
    clerk_id: str
    source_ref: str
    refusal: Refusal | None


class Store:
    """Cases, outbox, catalog, calendar, clerks and audit of one window machine."""

    def __init__(self, path: Path | str, *, centre_code: str, window_no: int) -> None:
        self.path = Path(path)
        self.centre_code = centre_code
        self.window_no = window_no
        self.db = open_db(self.path)
        self._lock = threading.RLock()
        self._calendar: WorkCalendar | None = None

    def close(self) -> None:
        with self._lock:
            self.db.close()

    @property
    def read_only(self) -> bool:
        """Opened on ground that takes no writes (a read-only mount, a full disk)."""
        return isinstance(self.db.conn, ReadOnlyConnection)

    # --- audit ---------------------------------------------------------------------------

    def audit(
        self, clerk_id: str, action: str, target: str = "", detail: dict[str, Any] | None = None
    ) -> AuditEvent:
        """Record an action that changes nothing else in the store (print, reveal, CLI use)."""
        with self._lock, write(self.db):
            return audit.append(
                self.db,
                clerk_id=clerk_id,
                window_no=self.window_no,
                action=action,
                target=target,
                detail=detail,
            )

    def audit_entries(self, limit: int = 100, clerk_id: str | None = None) -> list[AuditEvent]:
        with self._lock:
            return audit.entries(self.db, limit=limit, clerk_id=clerk_id)

    def verify_audit(self) -> ChainCheck:
        with self._lock:
            return audit.verify(self.db)

    # --- clerks --------------------------------------------------------------------------

    def add_clerk(self, clerk: Clerk, pin: str, *, by: str) -> Clerk:
        with self._lock:
            return clerks.add(self.db, clerk, pin, by=by, window_no=self.window_no)

    def clerks(self) -> list[Clerk]:
        with self._lock:
            return clerks.list_all(self.db)

    def clerk(self, clerk_id: str) -> Clerk | None:
        with self._lock:
            return clerks.get(self.db, clerk_id)

    def set_pin(self, clerk_id: str, pin: str, *, by: str) -> None:
        with self._lock:
            clerks.set_pin(self.db, clerk_id, pin, by=by, window_no=self.window_no)

    def set_disabled(self, clerk_id: str, disabled: bool, *, by: str) -> None:
        with self._lock:
            clerks.set_disabled(self.db, clerk_id, disabled, by=by, window_no=self.window_no)

    def authenticate(self, clerk_id: str, pin: str) -> Clerk:
        """The clerk if the PIN is right; `AuthError` (audited, counted) otherwise."""
        with self._lock:
            return clerks.authenticate(self.db, clerk_id, pin, window_no=self.window_no)

    # --- catalog and calendar ------------------------------------------------------------

    def import_catalog(self, source: Catalog, *, by: str, progress: Progress | None = None) -> int:
        """Store a catalog in one short transaction: its rows (pinyin keys) are built first,
        outside the write lock; `progress(done, total)` is told as each item's are (the slow
        part of a county catalog of thousands)."""
        item_rows = []
        for done, item in enumerate(source.items, 1):
            item_rows.append(catalog.row(item))
            if progress:
                progress(done, len(source.items))
        bundle_rows = [bundles.row(bundle) for bundle in source.bundles]
        with self._lock, write(self.db):
            catalog.store_rows(self.db, item_rows)
            bundles.store_rows(self.db, bundle_rows)
            audit.append(
                self.db,
                clerk_id=by,
                window_no=self.window_no,
                action="catalog.import",
                detail={
                    "version": source.version,
                    "items": len(item_rows),
                    "bundles": len(bundle_rows),
                },
            )
        return len(item_rows)

    def items(self, window_kind: str | None = None) -> list[ServiceItem]:
        with self._lock:
            return catalog.items(self.db, window_kind)

    def item(self, code: str, version: int | None = None) -> ServiceItem | None:
        with self._lock:
            return catalog.get(self.db, code, version)

    def search_items(
        self, text: str, window_kind: str | None = None, limit: int = 20
    ) -> list[ServiceItem]:
        with self._lock:
            return catalog.search(self.db, text, window_kind, limit)

    def bundles(self, window_kind: str | None = None) -> list[Bundle]:
        with self._lock:
            return bundles.current(self.db, window_kind)

    def bundle(self, code: str, version: int | None = None) -> Bundle | None:
        with self._lock:
            return bundles.get(self.db, code, version)

    def bundle_members(self, bundle: Bundle) -> list[ServiceItem]:
        with self._lock:
            return bundles.members(self.db, bundle)

    def search_bundles(self, text: str, window_kind: str | None = None) -> list[Bundle]:
        with self._lock:
            return bundles.search(self.db, text, window_kind)

    def store_calendar(self, year: CalendarYear) -> None:
        """Keep the platform's calendar of a year; it then wins over the packaged one."""
        days = json.dumps([d.model_dump(mode="json") for d in year.days], ensure_ascii=False)
        with self._lock, write(self.db):
            self.db.conn.execute(
                "INSERT OR REPLACE INTO calendar_years (year, version, days, updated_at)"
                " VALUES (?, ?, ?, ?)",
                [year.year, year.version, days, now().isoformat()],
            )
            self._calendar = None

    def calendar(self) -> WorkCalendar:
        """The working-day calendar, read once and kept until a year is stored."""
        with self._lock:
            if self._calendar is None:
                rows = self.db.conn.execute(
                    "SELECT year, version, days FROM calendar_years"
                ).fetchall()
                self._calendar = WorkCalendar(
                    [
                        CalendarYear(year=year, version=version, days=json.loads(days))
                        for year, version, days in rows
                    ]
                )
            return self._calendar

    # --- cases ---------------------------------------------------------------------------

    def accept(
        self,
        entry: Intake,
        *,
        clerk_id: str,
        at: datetime | None = None,
        source_ref: str | None = None,
        draft_id: str | None = None,
    ) -> Case:
        """受理 or 容缺受理: validate, number, and commit case + operation + audit together
        (and the end of the draft it was typed in, so it is never offered again)."""
        with self._lock:
            item, entry = self._checked(entry)
            status = intake.accepted_status(item, entry)
            return self._commit_case(entry, item, status, None, clerk_id, at, source_ref, draft_id)

    def refuse(
        self,
        entry: Intake,
        refusal: Refusal,
        *,
        clerk_id: str,
        at: datetime | None = None,
        source_ref: str | None = None,
        draft_id: str | None = None,
    ) -> Case:
        """不予受理: the case is recorded with the reason and where to go instead."""
        with self._lock:
            item, entry = self._checked(entry)
            return self._commit_case(
                entry, item, "refused", refusal, clerk_id, at, source_ref, draft_id
            )

    def accept_bundle(
        self,
        entry: BundleIntake,
        *,
        clerk_id: str,
        at: datetime | None = None,
        source_ref: str | None = None,
        draft_id: str | None = None,
    ) -> list[Case]:
        """一件事: every member checked first, then numbered, then all its cases, operations
        and audit entries (and the end of its draft) committed in one transaction, linked by
        one group id. A `source_ref` makes it idempotent (member n is recorded as
        `{source_ref}#n`)."""
        with self._lock:
            refs = [f"{source_ref}#{n}" if source_ref else None for n in range(len(entry.members))]
            if source_ref and (known := self._by_source(f"{source_ref}#0")):
                assert known.payload.bundle is not None
                return [c for n in known.payload.bundle.members if (c := cases.get(self.db, n))]
            bundle, plans = bundles.plan(self.db, entry)
            at = at or now()
            payloads = [self._payload(p.entry, p.item, p.status, clerk_id, at) for p in plans]
            link = BundleLink(
                code=bundle.code,
                name=bundle.name,
                group_id=str(uuid7()),
                members=[payload.local_no for payload, _ in payloads],
            )
            made = [
                Case(
                    case_id=str(uuid7()),
                    status=plan.status,
                    payload=payload.model_copy(update={"bundle": link}),
                    refusal=plan.refusal,
                    deadline_verified=verified,
                    source_ref=ref,
                    updated_at=now(),
                )
                for plan, (payload, verified), ref in zip(plans, payloads, refs, strict=True)
            ]
            with write(self.db):
                for n, (case, plan) in enumerate(zip(made, plans, strict=True)):
                    op_type, op_payload = _operation(case)
                    ends = draft_id if n == 0 else None  # the draft ends with the first
                    self._write_case(case, op_type, op_payload, clerk_id, at, plan.item.code, ends)
            return made

    def backfill(
        self, entries: list[BackfillEntry], progress: Progress | None = None
    ) -> tuple[list[Case], int]:
        """补录 all or nothing: every entry is checked first (an error carries `line`), the
        case numbers are reserved (each in its own commit, as always: an unused one is a
        harmless gap), then every case is written in one transaction. Entries whose
        `source_ref` was imported before are skipped; returns (created, skipped).
        `progress(done, total)` is told as each case is written."""
        with self._lock:
            todo: list[tuple[BackfillEntry, ServiceItem, Intake, CaseStatus]] = []
            for e in entries:
                if self._by_source(e.source_ref) or e.source_ref in {t[0].source_ref for t in todo}:
                    continue
                try:
                    item, intake_ = self._checked(e.intake)
                except (IntakeError, ValueError) as error:
                    error.line = e.line  # type: ignore[attr-defined]
                    raise
                status: CaseStatus = (
                    "refused" if e.refusal else intake.accepted_status(item, intake_)
                )
                todo.append((e, item, intake_, status))
            ready = []
            for e, item, intake_, status in todo:
                payload, verified = self._payload(intake_, item, status, e.clerk_id, e.at)
                ready.append((e, item, payload, verified, status))
            created: list[Case] = []
            with write(self.db):
                for e, item, payload, verified, status in ready:
                    if progress:
                        progress(len(created) + 1, len(ready))
                    case = Case(
                        case_id=str(uuid7()),
                        status=status,
                        payload=payload,
                        refusal=e.refusal,
                        deadline_verified=verified,
                        source_ref=e.source_ref,
                        updated_at=now(),
                    )
                    op_type, op_payload = _operation(case)
                    self._write_case(case, op_type, op_payload, e.clerk_id, e.at, item.code)
                    created.append(case)
            return created, len(entries) - len(created)

    def _checked(self, entry: Intake) -> tuple[ServiceItem, Intake]:
        """The entry's item, and the entry with its materials named and ordered as there."""
        item = catalog.get(self.db, entry.item_code, entry.item_version)
        if item is None:
            raise IntakeError(f"事项 {entry.item_code} 不存在或已停用，请更新事项目录")
        materials = intake.check_materials(item, entry.materials)
        return item, entry.model_copy(update={"materials": materials})

    def _commit_case(
        self,
        entry: Intake,
        item: ServiceItem,
        status: CaseStatus,
        refusal: Refusal | None,
        clerk_id: str,
        at: datetime | None,
        source_ref: str | None,
        draft_id: str | None = None,
    ) -> Case:
        if source_ref and (known := self._by_source(source_ref)):
            return known
        at = at or now()
        payload, verified = self._payload(entry, item, status, clerk_id, at)
        case = Case(
            case_id=str(uuid7()),
            status=status,
            payload=payload,
            refusal=refusal,
            deadline_verified=verified,
            source_ref=source_ref,
            updated_at=now(),
        )
        op_type, op_payload = _operation(case)
        self._write_case(case, op_type, op_payload, clerk_id, at, item.code, draft_id)
        return case

    def _write_case(
        self,
        case: Case,
        op_type: OpType,
        op_payload: dict[str, Any],
        clerk_id: str,
        at: datetime,
        item_code: str,
        draft_id: str | None = None,
    ) -> None:
        """The durable commit: the case, its operation, its audit entry and the end of its
        draft, all or nothing."""
        with write(self.db):
            if draft_id:
                drafts.discard(self.db, draft_id, self.window_no)
            cases.insert(self.db, case)
            outbox.enqueue(
                self.db,
                case.case_id,
                op_type,
                op_payload,
                at=at,
                clerk_id=clerk_id,
                window_no=self.window_no,
            )
            audit.append(
                self.db,
                clerk_id=clerk_id,
                window_no=self.window_no,
                action=op_type,
                target=case.local_no,
                detail={"item": item_code, "status": case.status},
            )

    def issue_notice_no(self, at: datetime) -> str:
        """The number of a 一次性告知书: the case numbering's own daily sequence under
        `{centre_code}-GZ`, durable before the paper is printed."""
        return issue_local_no(self.db, f"{self.centre_code}-GZ", self.window_no, at.date())

    def _payload(
        self, entry: Intake, item: ServiceItem, status: CaseStatus, clerk_id: str, at: datetime
    ) -> tuple[CasePayload, bool]:
        local_no = issue_local_no(self.db, self.centre_code, self.window_no, at.date())
        promised_by, rule, verified = None, None, True
        if item.case_type == "promised" and item.promised_limit and status != "refused":
            deadline = self.calendar().deadline(at.date(), item.promised_limit)
            promised_by, verified = deadline.due, deadline.verified
            rule = DeadlineRule(
                unit=deadline.unit, count=deadline.count, calendar_version=deadline.calendar_version
            )
        materials = entry.materials
        if status == "accepted_missing":
            due = self.calendar().deadline(at.date(), item.missing_within).due
            materials = [
                m.model_copy(update={"due": due}) if m.status == "missing_allowed" else m
                for m in materials
            ]
        payload = CasePayload(
            local_no=local_no,
            centre_code=self.centre_code,
            item=ItemRef(code=item.code, version=item.version, name=item.name),
            case_type=item.case_type,
            applicant=entry.applicant,
            agent=entry.agent,
            form=entry.form,
            materials=materials,
            accepted_at=at,
            promised_by=promised_by,
            deadline_rule=rule,
            ticket=entry.ticket,
            clerk_id=clerk_id,
            window_no=self.window_no,
            delivery=entry.delivery,
        )
        return payload, verified

    def _by_source(self, source_ref: str) -> Case | None:
        rows = list(self.db["cases"].rows_where("source_ref = ?", [source_ref]))
        return cases.from_row(rows[0]) if rows else None

    # --- after acceptance ------------------------------------------------------------------

    def _follow(self, key: str) -> Case:
        case = cases.get(self.db, key)
        if case is None:
            raise followup.FollowUpError(f"找不到办件 {key}")
        return case

    def receive_correction(
        self,
        key: str,
        materials: list[CaseMaterial],
        note: str = "",
        *,
        clerk_id: str,
        in_person: bool = True,
    ) -> Case:
        """补正: the missing materials arrived, brought in person or not (跑动次数)."""
        with self._lock, write(self.db):
            case = self._follow(key)
            item = catalog.get(self.db, case.payload.item.code, case.payload.item.version)
            if item is not None:
                materials = intake.check_materials(item, materials)
            return followup.receive_correction(
                self.db,
                case,
                materials,
                note,
                clerk_id=clerk_id,
                window_no=self.window_no,
                at=now(),
                in_person=in_person,
            )

    def visits(self, start: date | None = None, end: date | None = None) -> list[CaseVisits]:
        """跑动次数 of the cases this window accepted, from `start` to `end` when given."""
        with self._lock:
            return visits.from_store(self.db, start, end)

    def case_visits(self, case_id: str) -> CaseVisits | None:
        with self._lock:
            row = self.db.conn.execute(
                "SELECT payload FROM cases WHERE case_id = ?", [case_id]
            ).fetchone()
            ops = [(op.type, op.payload) for op in outbox.for_case(self.db, case_id)]
        if row is None or not ops:
            return None
        return visits.count(case_id, json.loads(row[0]), ops)

    def deliver(
        self,
        key: str,
        receiver: Person,
        method: str = "pickup",
        tracking_no: str | None = None,
        *,
        clerk_id: str,
        proxy_checked: bool = False,
    ) -> Case:
        """出件 to `receiver` (ID checked at the window) or by post."""
        with self._lock, write(self.db):
            return followup.deliver(
                self.db,
                self._follow(key),
                receiver,
                method,
                tracking_no,
                clerk_id=clerk_id,
                window_no=self.window_no,
                at=now(),
                proxy_checked=proxy_checked,
            )

    def evaluate(
        self, key: str, level: EvaluationLevel | None, channel: str, *, clerk_id: str
    ) -> Evaluation:
        """好差评 from the citizen's evaluator; `None` when they left without rating."""
        with self._lock, write(self.db):
            return followup.evaluate(
                self.db,
                self._follow(key),
                level,
                channel,
                clerk_id=clerk_id,
                window_no=self.window_no,
                at=now(),
            )

    def evaluation(self, case_id: str) -> Evaluation | None:
        with self._lock:
            return followup.evaluation_of(self.db, case_id)

    def may_rate_again(self, case_id: str) -> bool:
        with self._lock:
            return followup.may_rate_again(self.db, case_id)

    def clear_flag(self, key: str, *, by: str) -> None:
        """The clerk has looked at a case the platform changed while it was busy here."""
        with self._lock, write(self.db):
            case = self._follow(key)
            self.db.conn.execute(
                "UPDATE cases SET flagged = NULL WHERE case_id = ?", [case.case_id]
            )
            audit.append(
                self.db,
                clerk_id=by,
                window_no=self.window_no,
                action="case.flag_cleared",
                target=case.local_no,
            )

    def timeline(self, key: str) -> list[AuditEvent]:
        """Everything the audit log knows about a case, oldest first."""
        with self._lock:
            case = self._follow(key)
            return audit.for_target(self.db, case.local_no)

    def consult(self, item_code: str | None, ticket: str | None, *, clerk_id: str) -> None:
        with self._lock, write(self.db):
            handover.consult(self.db, self.window_no, clerk_id, item_code, ticket, now())

    def consultations_today(self) -> int:
        with self._lock:
            return handover.consultations_on(self.db, now().date().isoformat())

    def leave_note(self, by_clerk: str, for_clerk: str, text: str) -> None:
        with self._lock, write(self.db):
            handover.leave_note(self.db, self.window_no, by_clerk, for_clerk, text, now())

    def unread_notes(self, for_clerk: str) -> list[handover.Note]:
        with self._lock:
            return handover.unread(self.db, for_clerk)

    def mark_notes_read(self, for_clerk: str) -> None:
        with self._lock, write(self.db):
            handover.mark_read(self.db, for_clerk, now())

    # --- intake drafts ---------------------------------------------------------------------

    def save_draft(self, draft: Draft) -> bool:
        """Keep the intake in progress (a newer revision wins; a decided draft stays gone)."""
        with self._lock, write(self.db):
            return drafts.save(self.db, draft)

    def drafts(self) -> list[Draft]:
        """This window's drafts not yet decided, oldest first."""
        with self._lock:
            return drafts.for_window(self.db, self.window_no)

    def draft(self, draft_id: str) -> Draft | None:
        with self._lock:
            return drafts.get(self.db, draft_id)

    def discard_draft(self, draft_id: str, *, by: str, action: str = "draft.discard") -> None:
        """The clerk threw the draft away (or it ended as a 一次性告知 or 咨询)."""
        with self._lock, write(self.db):
            drafts.discard(self.db, draft_id, self.window_no)
            audit.append(
                self.db, clerk_id=by, window_no=self.window_no, action=action, target=draft_id
            )

    def case_by_source(self, source_ref: str) -> Case | None:
        """The case recorded from this paper record (补录), if it was imported."""
        with self._lock:
            return self._by_source(source_ref)

    def cases_for_ticket(self, ticket: str, since: datetime) -> int:
        """How many cases were decided for this queue number since it was issued."""
        with self._lock:
            row = self.db.conn.execute(
                "SELECT COUNT(*) FROM cases WHERE ticket = ? AND accepted_at >= ?",
                [ticket, since.isoformat()],
            ).fetchone()
        return int(row[0])

    def case(self, key: str) -> Case | None:
        """A case by case_id, local number or official number."""
        with self._lock:
            return cases.get(self.db, key)

    def search_cases(self, query: CaseQuery) -> list[Case]:
        with self._lock:
            return cases.search(self.db, query)

    def case_lines(self, query: CaseQuery) -> list[CaseLine]:
        """A case list as lists show it: the same search, no payload parsed."""
        with self._lock:
            return cases.lines(self.db, query)

    def search_cases_all(self) -> list[Case]:
        """Every case (for checks and exports; the desk pages through `search_cases`)."""
        with self._lock:
            return [cases.from_row(row) for row in self.db.query("SELECT * FROM cases")]

    def operations(self, case_id: str) -> list[Operation]:
        with self._lock:
            return outbox.for_case(self.db, case_id)

    def outbox_counts(self) -> dict[str, int]:
        with self._lock:
            return sync_status.counts(self.db.conn)

    # --- sync ----------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        with self._lock:
            return sync_status.meta(self.db.conn, key)

    def set_meta(self, key: str, value: str) -> None:
        with self._lock, write(self.db):
            self.db.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])

    def unsent(self, limit: int, after: int = 0) -> list[tuple[int, Operation]]:
        with self._lock:
            return outbox.unsent(self.db, limit, after)

    def mark(
        self,
        op_ids: list[str],
        state: str,
        error: str | None = None,
        server_version: int | None = None,
    ) -> None:
        if op_ids:
            with self._lock, write(self.db):
                outbox.set_state(self.db, op_ids, state, error, server_version)

    def set_aside(self, op_id: str, reason: str) -> int:
        """Quarantine an operation and the later ones of its case; returns how many."""
        with self._lock, write(self.db):
            return outbox.set_aside(self.db, op_id, reason)

    def record_results(self, results: outbox.Results) -> int:
        """A batch's answers in one durable transaction (one commit, not one per operation);
        returns how many operations were set aside with the quarantined ones."""
        with self._lock, write(self.db):
            return outbox.record(self.db, results)

    def reset_in_flight(self) -> int:
        with self._lock, write(self.db):
            return outbox.reset_in_flight(self.db)

    def requeue(self, key: str, *, by: str) -> int:
        """Send a quarantined case's operations again, in order, after the cause was fixed:
        `key` is the case (case_id, local or official number) or one of its operations.
        Returns how many operations are pending again."""
        with self._lock, write(self.db):
            case = cases.get(self.db, key)
            case_id = case.case_id if case else outbox.case_of(self.db, key)
            changed = outbox.requeue_case(self.db, case_id) if case_id else 0
            if changed:
                audit.append(
                    self.db,
                    clerk_id=by,
                    window_no=self.window_no,
                    action="sync.requeue",
                    target=case.local_no if case else key,
                    detail={"operations": changed},
                )
        return changed

    def quarantined(self) -> list[Operation]:
        with self._lock:
            return outbox.quarantined(self.db)

    def quarantined_cases(self) -> list[tuple[str, str, int, str]]:
        """(case_id, local number, operations set aside, reason), one per case."""
        with self._lock:
            return sync_status.quarantined_cases(self.db.conn)

    def acked_digest(self) -> tuple[int, str]:
        """Count and SHA-256 of the sorted, newline-joined acknowledged op_ids (as `/state`)."""
        with self._lock:
            ids = [
                r[0]
                for r in self.db.conn.execute(
                    "SELECT op_id FROM operations WHERE state = 'acked' ORDER BY op_id"
                )
            ]
        return len(ids), hashlib.sha256("\n".join(ids).encode()).hexdigest()

    def case_states(self) -> tuple[list[CaseState], set[str]]:
        """Every case's status and official number, and the ids of cases with operations
        the platform has not acknowledged (their state may rightly differ until sent)."""
        with self._lock:
            rows = self.db.conn.execute(
                "SELECT case_id, status, official_no, local_no FROM cases ORDER BY case_id"
            ).fetchall()
            unsent = self.db.conn.execute(
                "SELECT DISTINCT case_id FROM operations WHERE state != 'acked'"
            ).fetchall()
        states = [
            CaseState(case_id=r[0], status=r[1], official_no=r[2], local_no=r[3]) for r in rows
        ]
        return states, {r[0] for r in unsent}

    def apply_changes(self, page: list[dict[str, Any]], cursor: str) -> changes.Applied:
        """Apply a page of platform changes and store its cursor in one transaction (the
        page validated before it, outside the write lock)."""
        checked = changes.check(page)
        with self._lock, write(self.db):
            applied = changes.apply(self.db, checked, self.window_no)
            self.db.conn.execute(
                "INSERT OR REPLACE INTO meta VALUES ('changes_cursor', ?)", [cursor]
            )
        if applied.applied:
            self._calendar = None
        return applied

    def restore_pending(self) -> bool:
        """Restored from a backup and not synced since: the next pull asks for this
        window's own cases in full (`offline.numbering.settle_after_restore`)."""
        with self._lock:
            return numbering.restore_pending(self.db)

    def settle_after_restore(self, complete: bool) -> int:
        with self._lock, write(self.db):
            return numbering.settle_after_restore(
                self.db, self.centre_code, self.window_no, complete
            )

    def quarantined_changes(self, limit: int = 50) -> list[sync_status.KeptChange]:
        """Changes from the platform kept aside as invalid, newest first."""
        with self._lock:
            return sync_status.kept_changes(self.db.conn, limit)

    def purge_personal_data(self, days: int, blobs: BlobStore | None = None, *, by: str) -> int:
        """Apply the retention rule (`offline.retention`) batch by batch, each batch a short
        transaction of its own, and after each the lock left free for as long as the batch
        held it: back to back, the desk's busy handler would seldom hit the gap between two
        and would wait for them all. Returns how many cases it cleared."""
        total = 0
        while True:
            began = time.monotonic()
            with self._lock:
                with write(self.db):
                    due = retention.due(self.db, days, now())
                    unused = retention.purge(self.db, due, by=by, window_no=self.window_no)
                for sha in unused if blobs is not None else []:
                    assert blobs is not None
                    blobs.path(sha).unlink(missing_ok=True)
            total += len(due)
            if len(due) < retention.BATCH:
                return total
            time.sleep(time.monotonic() - began)

    # --- maintenance ---------------------------------------------------------------------

    def integrity_problems(self) -> list[str]:
        """Everything `clerk db check` complains about; empty when all is well."""
        with self._lock:
            problems = [
                row[0] for row in self.db.execute("PRAGMA integrity_check") if row[0] != "ok"
            ]
            problems += [
                f"外键错误：{row[0]} 第{row[1]}行"
                for row in self.db.execute("PRAGMA foreign_key_check")
            ]
            problems += rowcheck.problems(self.db)
        mode = self.path.stat().st_mode & 0o777
        if mode & 0o077:
            problems.append(f"数据库文件权限为 {mode:o}，应为 600（仅所有者可读写）")
        return problems

    def backup(self, dest: Path, progress: Progress | None = None) -> None:
        """A consistent copy through SQLite's online backup API, safe while the desk writes.
        It is made under a temporary name and renamed when whole: a full disk leaves no
        half copy that looks like a backup. With `progress(pages done, pages)` it copies in
        steps of 16 MB and tells each (SQLite restarts the copy if another connection
        writes in between, so the copy is consistent all the same)."""
        if dest.exists():
            raise TargetExists(f"目标文件已存在：{dest}")
        partial = dest.with_name(f".{dest.name}.partial")
        try:
            target = connect(partial)
            try:
                with self._lock:
                    if progress:
                        self.db.conn.backup(
                            target,
                            pages=BACKUP_STEP,
                            progress=lambda _, left, total: progress(total - left, total),
                        )
                    else:
                        self.db.conn.backup(target)
                target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            finally:
                target.close()
            os.replace(partial, dest)
        except sqlite3.Error as error:
            if reason := unwritable(dest.parent):  # SQLite only says "disk I/O error"
                raise reason from error
            raise
        finally:
            for leftover in ("", "-wal", "-shm", "-journal"):
                Path(f"{partial}{leftover}").unlink(missing_ok=True)
        os.chmod(dest, 0o600)


def _operation(case: Case) -> tuple[OpType, dict[str, Any]]:
    """The operation that tells the platform about a new case: accepted or refused."""
    payload = case.payload.model_dump(mode="json")
    if case.refusal:
        return "case.reject", {**case.refusal.model_dump(), **payload}
    return "case.accept", payload
