"""The window desk's domain: one clerk's session at one window, and what its keys do.

The Textual screens call these methods from worker threads and show what comes back; every
rule of the desk lives here, so the same steps are tested without a screen. A case is
committed before anything is printed, so the printer can never lose it. Devices are used only
through their owners (`clerk/owners.py`): a step asks and, on its worker thread, waits.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from clerk import receipts
from clerk.owners import Busy, Devices
from clerk.services import Services
from devices.printer.document import Document
from offline import bundles
from offline.bundles import BundleIntake, SharedChecklist
from offline.clock import now
from offline.handover import Note
from offline.intake import Intake
from offline.models import (
    AuditEvent,
    Bundle,
    Case,
    CaseLine,
    CaseMaterial,
    CaseQuery,
    CaseStatus,
    Clerk,
    Draft,
    EvaluationLevel,
    MaterialSpec,
    Person,
    Refusal,
    ServiceItem,
    Ticket,
)

if TYPE_CHECKING:  # the hall client, printer, scanner and sync load on first use, so the
    # desk's login screen shows without them (`python -m bench --only desk` lists them)
    from clerk.hall.client import WindowView
    from devices.display import Display
    from devices.printer.printer import PrintResult
    from offline.sync import SyncEngine
    from offline.visits import CaseVisits

IN_PROGRESS = ("accepted", "accepted_missing", "in_review", "correction_requested", "suspended")


@dataclass
class Session:
    """Who is at the window. A clerk other than the window's own (`owner`) is its AB岗
    backup: everything they do is recorded under their own number."""

    clerk: Clerk
    owner: str | None
    notes: list[Note] = field(default_factory=list)
    owner_name: str = ""  # the window's own clerk as colleagues know them: by name

    @property
    def takeover(self) -> bool:
        return bool(self.owner) and self.owner != self.clerk.clerk_id

    @property
    def owner_label(self) -> str:
        """李娜（c0107）: the window's own clerk, by name and 工号."""
        if self.owner_name and self.owner_name != self.owner:
            return f"{self.owner_name}（{self.owner}）"
        return self.owner or ""


@dataclass
class Outcome:
    """A decision at the window: the case (none for a 一次性告知 alone) and its paper."""

    case: Case | None
    document: Document
    printed: PrintResult


@dataclass
class BundleOutcome:
    """A 一件事 decided at the window: a case per member and their one receipt."""

    cases: list[Case]
    document: Document
    printed: PrintResult


@dataclass(frozen=True)
class CasePage:
    """What a case's page shows, read in one step."""

    case: Case
    timeline: list[AuditEvent]
    may_rate_again: bool
    names: dict[str, str]  # who did what, by name
    days_left: int | None


@dataclass
class SyncState:
    online: bool | None  # None: not enrolled to a platform
    pending: int
    quarantined: int
    last_success: str | None


@dataclass(frozen=True)
class SyncNews:
    """A background run: the state, and how many operations were quarantined, cases
    flagged and 差评 followed up by the platform in it."""

    state: SyncState
    quarantined: int = 0
    flagged: int = 0
    followups: int = 0
    set_aside: tuple[str, ...] = ()  # one line per case set aside in the run


class Desk:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.store = services.store
        settings = services.settings
        self.window_no = settings.window.no
        self.window_kind = settings.window.kind
        self.centre = receipts.centre_of(services.home, settings, self.window_no)
        self.session: Session | None = None
        self.last_document: Document | None = None
        self._again: Callable[[datetime], Document] | None = None  # the last paper, 补打
        self.online: bool | None = None
        self.devices = Devices(services)
        services.on_close(self.devices.stop)  # the owners stop before their devices close
        self._rating_lock = threading.Lock()
        self._rating = 0  # the latest rating asked for: it alone listens to the keypad
        self._engine: SyncEngine | None = None

    # --- the session ---------------------------------------------------------------------------

    @property
    def clerk_id(self) -> str:
        assert self.session is not None, "nobody is logged in"
        return self.session.clerk.clerk_id

    def login(self, clerk_id: str, pin: str) -> Session:
        """工号 + PIN (the store locks a clerk out after repeated wrong PINs)."""
        clerk = self.store.authenticate(clerk_id.strip(), pin)
        owner = self.services.settings.window.clerk or None
        known = self.store.clerk(owner) if owner else None
        session = Session(clerk, owner, owner_name=known.name if known else owner or "")
        if not session.takeover:
            session.notes = self.store.unread_notes(clerk.clerk_id)
        action = "desk.takeover" if session.takeover else "desk.login"
        self.store.audit(clerk.clerk_id, action, str(self.window_no), {"owner": owner})
        self.session = session
        return session

    def notes_read(self) -> None:
        self.store.mark_notes_read(self.clerk_id)

    def lock(self, reason: str = "key") -> None:
        if self.session:
            self.store.audit(self.clerk_id, "desk.lock", str(self.window_no), {"by": reason})

    def unlock(self, clerk_id: str, pin: str) -> Session:
        """The clerk comes back, or a backup clerk takes the locked window over."""
        previous = self.session
        if previous and clerk_id.strip() == previous.clerk.clerk_id:
            self.store.authenticate(clerk_id.strip(), pin)
            self.store.audit(self.clerk_id, "desk.unlock", str(self.window_no))
            return previous
        return self.login(clerk_id, pin)

    def logout(self, note: str = "") -> None:
        """Leave the window; a backup clerk's note waits for the window's own clerk."""
        if self.session is None:
            return
        if note.strip() and self.session.owner and self.session.takeover:
            self.store.leave_note(self.clerk_id, self.session.owner, note.strip())
        self.store.audit(self.clerk_id, "desk.logout", str(self.window_no))
        self.session = None

    # --- the queue -----------------------------------------------------------------------------

    def queue(self) -> WindowView:
        return self.services.hall().view(self.window_no)

    def call_next(self) -> Ticket | None:
        ticket = self.services.hall().call_next(self.window_no, self.clerk_id)
        if ticket:
            self._show(lambda d: d.show_call(ticket.number, self.window_no))
        return ticket

    def queue_step(self, action: str) -> Ticket:
        """重呼, 过号, 挂起, 办结 of the current ticket (`recall`, `no-show`, `park`, `finish`)."""
        ticket = self.services.hall().step(self.window_no, action, self.clerk_id)
        if action == "recall":
            self._show(lambda d: d.show_call(ticket.number, self.window_no))
        else:
            self._show_idle()
        return ticket

    def _show(self, work: Callable[[Display], None]) -> None:
        """The window display shows it when it can: a broken LED is reported by its owner
        and never fails the hall step it follows."""
        self.devices.display.tell(work)

    def _show_idle(self) -> None:
        self._show(lambda d: d.show_idle(f"{self.window_no}号窗口"))

    def ticket_cases(self, ticket: Ticket) -> int:
        """Cases decided for the ticket since it was issued: 过号 or 转移 of it is asked first."""
        return self.store.cases_for_ticket(ticket.number, ticket.issued_at)

    def call_back(self, number: str) -> Ticket:
        ticket = self.services.hall().call_back(self.window_no, number, self.clerk_id)
        self._show(lambda d: d.show_call(ticket.number, self.window_no))
        return ticket

    def transfer(self, kind: str | None, to_window: int | None) -> Ticket:
        if not kind and not to_window:
            from clerk.hall.client import HallError

            raise HallError("请选择转往的业务类型或窗口")
        ticket = self.services.hall().transfer(self.window_no, self.clerk_id, kind, to_window)
        self._show_idle()
        return ticket

    def pause(self, reason: str) -> None:
        self.services.hall().pause(self.window_no, reason, self.clerk_id)
        self._show(lambda d: d.show_paused(reason))
        self.store.audit(self.clerk_id, "desk.pause", str(self.window_no), {"reason": reason})

    def resume(self) -> None:
        self.services.hall().resume(self.window_no, self.clerk_id)
        self._show_idle()
        self.store.audit(self.clerk_id, "desk.resume", str(self.window_no))

    # --- intake --------------------------------------------------------------------------------

    def search_items(self, text: str) -> list[ServiceItem]:
        """Items this window handles, by pinyin initials, pinyin, Chinese or code."""
        if not text.strip():
            return []  # a cleared search clears the list
        return self.store.search_items(text, self.window_kind)

    def accept(self, entry: Intake, draft_id: str | None = None) -> Outcome:
        """受理 or 容缺受理: the case (and the end of its draft) is durable before the receipt
        is printed."""
        case = self.store.accept(entry, clerk_id=self.clerk_id, draft_id=draft_id)
        return self._paper(case, receipts.acceptance(case, self.centre, self._item(case)))

    def search_bundles(self, text: str) -> list[Bundle]:
        """一件事 this window takes, found as items are."""
        if not text.strip():
            return []
        return self.store.search_bundles(text, self.window_kind)

    def bundle_form(self, bundle: Bundle) -> tuple[list[ServiceItem], SharedChecklist]:
        """A bundle's members and its one materials checklist, for the bundle intake."""
        items = self.store.bundle_members(bundle)
        return items, bundles.checklist(items)

    def accept_bundle(self, entry: BundleIntake, draft_id: str | None = None) -> BundleOutcome:
        """一件事: every member's case (and the end of its draft) durable before the one
        receipt is printed."""
        made = self.store.accept_bundle(entry, clerk_id=self.clerk_id, draft_id=draft_id)
        doc = receipts.bundle_acceptance(made, self.centre)
        return BundleOutcome(made, doc, self.print(doc))

    def refuse(self, entry: Intake, refusal: Refusal, draft_id: str | None = None) -> Outcome:
        case = self.store.refuse(entry, refusal, clerk_id=self.clerk_id, draft_id=draft_id)
        return self._paper(case, receipts.refusal_notice(case, self.centre, self._item(case)))

    # --- drafts: nothing typed is lost -------------------------------------------------------

    def save_draft(self, draft: Draft) -> bool:
        return self.store.save_draft(draft)

    def drafts(self) -> list[Draft]:
        """The window's intakes in progress (left by a lock, a logout, a call or a crash)."""
        return self.store.drafts()

    def park_draft(self, draft: Draft) -> None:
        """暂存: the clerk set this intake aside on purpose (to call the next, to log out)."""
        self.store.save_draft(draft)
        self.store.audit(self.clerk_id, "draft.park", draft.ticket or "", {"draft": draft.draft_id})

    def end_draft(self, draft_id: str, action: str = "draft.discard") -> None:
        """The draft is done without a case (一次性告知, 咨询) or thrown away (清空)."""
        self.store.discard_draft(draft_id, by=self.clerk_id, action=action)

    def tell_once(self, item: ServiceItem, applicant: str, missing: list[MaterialSpec]) -> Outcome:
        """一次性告知书 without a case: everything still needed, in writing, at once."""
        at = now()
        number = self.store.issue_notice_no(at)
        clerk_id = self.clerk_id

        def notice(reprint: datetime | None = None) -> Document:
            return receipts.one_time_notice(
                item, missing, self.centre, applicant, clerk_id, at, number=number, reprint=reprint
            )

        self.store.audit(
            self.clerk_id, "notice.one_time", item.code, {"missing": len(missing), "no": number}
        )
        return self._paper(None, notice(), again=notice)

    def consult(self, item_code: str | None, ticket: str | None) -> int:
        """咨询 counted (no case): how many this window has had today."""
        self.store.consult(item_code, ticket, clerk_id=self.clerk_id)
        return self.store.consultations_today()

    def scan(self) -> tuple[str, int]:
        """Scan a material into a PDF blob: its SHA-256 and page count. F10 pressed while a
        scan is in progress is told so, not started again (the same sheet twice)."""
        from devices.scanner.pdf import to_pdf

        asked, new = self.devices.scanner.ask(lambda scanner: scanner.scan(), key="scan")
        if not new:
            raise Busy("正在扫描上一份材料，请稍候（本次按键不会重复扫描）")
        pages = asked.result()
        return self.services.blobs().put(to_pdf(pages)), len(pages)

    def _item(self, case: Case) -> ServiceItem | None:
        """The catalog item a paper states time limits and fees from."""
        return self.store.item(case.payload.item.code, case.payload.item.version)

    # --- paper ---------------------------------------------------------------------------------

    def _paper(
        self,
        case: Case | None,
        doc: Document,
        again: Callable[[datetime], Document] | None = None,
    ) -> Outcome:
        """Print `doc`, and remember how to print it again marked 补打 (F11): a case's paper
        from the store as it is then, a notice from what it said."""
        if case is not None:
            again = self._case_again(case, doc.name)
        self.last_document, self._again = doc, again
        return Outcome(case, doc, self.print(doc))

    def _case_again(self, case: Case, name: str) -> Callable[[datetime], Document]:
        def again(at: datetime) -> Document:
            latest = self.store.case(case.case_id) or case
            return receipts.again(self.store, latest, name, self.centre, at)

        return again

    def print(self, doc: Document) -> PrintResult:
        """Print, or keep the job in the spool while the printer cannot print."""
        return self.devices.printer.call(lambda printer: printer.print(doc))

    def reprint(self) -> tuple[str, PrintResult] | None:
        """补打 the last paper, marked as a reprint: its name and how printing went. F11
        pressed again while it prints is told so, and nothing is printed twice."""
        doc, again = self.last_document, self._again
        if doc is None or again is None:
            return None
        paper = again(now())
        asked, new = self.devices.printer.ask(lambda p: p.print(paper), key="reprint")
        if not new:
            raise Busy(f"正在补打{doc.name}，请稍候（本次按键不会重复打印）")
        self.store.audit(self.clerk_id, "print.again", doc.name)
        return doc.name, asked.result()

    def flush_printer(self) -> PrintResult:
        """Send what waits in the spool (the app's poll); a poll while one runs joins it."""
        return self.devices.printer.call(lambda printer: printer.flush(), key="flush")

    # --- after acceptance ----------------------------------------------------------------------

    def cases(
        self, text: str = "", statuses: list[CaseStatus] | None = None
    ) -> list[tuple[CaseLine, int | None]]:
        """The window's cases, newest first, each with its working days left."""
        query = CaseQuery(text=text or None, status=statuses or [], limit=200)
        left: dict[date, int | None] = {}  # per promised date: an overdue case counts every
        # day since, and a page of 200 shares a handful of dates

        def days(line: CaseLine) -> int | None:
            if line.promised_by is None or line.status not in IN_PROGRESS:
                return None
            if line.promised_by not in left:
                left[line.promised_by] = self._days_left(line.promised_by, line.status)
            return left[line.promised_by]

        return [(line, days(line)) for line in self.store.case_lines(query)]

    def days_left(self, case: Case) -> int | None:
        """Working days to the promised date of a case still in progress (negative: overdue)."""
        return self._days_left(case.payload.promised_by, case.status)

    def _days_left(self, promised_by: date | None, status: str) -> int | None:
        if promised_by is None or status not in IN_PROGRESS:
            return None
        return self.store.calendar().workdays_between(now().date(), promised_by)

    def ask_rating(self, stop: Callable[[], bool]) -> EvaluationLevel | None:
        """Light the citizen's evaluator and wait for their press (never the clerk's keys).
        A rating asked while another waits takes the keypad over: the older one ends with
        None, so one press can never rate two cases or the case not on screen."""
        with self._rating_lock:
            self._rating += 1
            mine = self._rating
        owner = self.devices.evaluator

        def done() -> bool:
            return stop() or owner.stopping or self._rating != mine

        level = owner.call(lambda evaluator: evaluator.ask(done))
        return level  # type: ignore[return-value]  # the keypad gives only these names

    def record_rating(self, case: Case, level: EvaluationLevel | None) -> None:
        self.store.evaluate(case.case_id, level, "window_device", clerk_id=self.clerk_id)

    def receive_correction(
        self, case: Case, materials: list[CaseMaterial], in_person: bool = True
    ) -> Outcome:
        """补正 received (brought in person or not: 跑动次数) and a new receipt printed."""
        updated = self.store.receive_correction(
            case.case_id, materials, clerk_id=self.clerk_id, in_person=in_person
        )
        doc = receipts.correction_receipt(
            updated, self.centre, self.clerk_id, now(), self._item(updated)
        )
        return self._paper(updated, doc)

    def deliver(
        self,
        case: Case,
        receiver: Person,
        method: str,
        tracking_no: str | None,
        proxy_checked: bool = False,
    ) -> Outcome:
        """出件: recorded, then the delivery receipt printed."""
        updated = self.store.deliver(
            case.case_id,
            receiver,
            method,
            tracking_no,
            clerk_id=self.clerk_id,
            proxy_checked=proxy_checked,
        )
        doc = receipts.delivery_receipt(
            updated,
            self.centre,
            receiver.name,
            receiver.id_number,
            method,
            self.clerk_id,
            now(),
            tracking_no,
        )
        return self._paper(updated, doc)

    # --- what the screens read (on a worker, through `clerk.desk.port.DeskPort`) --------------

    def search(self, text: str) -> tuple[list[ServiceItem], list[Bundle]]:
        """The intake's search: items and 一件事 at once."""
        return self.search_items(text), self.search_bundles(text)

    def item(self, code: str, version: int | None) -> ServiceItem | None:
        """A catalog item as it was when a case or draft took it (None: no longer here)."""
        return self.store.item(code, version)

    def resume_draft(self, current: Draft | None, draft: Draft) -> ServiceItem | None:
        """Carry on with `draft`: the intake on screen (`current`) is 暂存'd first; the
        draft's item back from the catalog."""
        if current is not None:
            self.park_draft(current)
        return self.item(draft.item_code, draft.item_version) if draft.item_code else None

    def resume_bundle(
        self, current: Draft | None, draft: Draft
    ) -> tuple[Bundle, list[ServiceItem], SharedChecklist] | None:
        """Carry on with a 一件事 draft (the intake on screen 暂存'd first): its bundle and
        form as for a new one; None when the bundle is no longer in the catalog."""
        if current is not None:
            self.park_draft(current)
        assert draft.bundle is not None
        bundle = self.store.bundle(draft.bundle.code, draft.bundle.version)
        return (bundle, *self.bundle_form(bundle)) if bundle else None

    def case_page(self, case_id: str) -> CasePage | None:
        """A case's page: the case, its timeline, the clerks by name, its days left."""
        case = self.store.case(case_id)
        if case is None:
            return None
        return CasePage(
            case,
            self.store.timeline(case_id),
            self.store.may_rate_again(case_id),
            {c.clerk_id: c.name for c in self.store.clerks()},
            self.days_left(case),
        )

    def case_visits(self, case_id: str) -> CaseVisits | None:
        return self.store.case_visits(case_id)

    def clear_flag(self, case_id: str) -> None:
        """已核对平台变更: the clerk has checked what the platform changed."""
        self.store.clear_flag(case_id, by=self.clerk_id)

    # --- `clerk demo` only: the citizen's hands on the simulators ------------------------------

    def demo_card(self) -> str | None:
        """The next sample card on the simulated reader: its holder's name."""
        sim = self.services.idcard_simulator
        return sim.place().name if sim is not None else None

    def demo_press(self, level: int) -> None:
        """The citizen presses `level` (1-5) on the simulated evaluator."""
        if self.services.evaluator_simulator is not None:
            self.services.evaluator_simulator.press(level)

    # --- sync ----------------------------------------------------------------------------------

    def sync_once(self) -> SyncNews:
        """One background run when enrolled: the state, and what the clerk is told of."""
        from offline.sync import SyncError
        from offline.sync_lock import SyncBusy

        if self._engine is None:
            try:
                self._engine = self.services.sync_engine()
            except SyncError:  # not enrolled: the desk works offline, nothing to sync with
                return SyncNews(self.sync_state())
        try:
            summary = self._engine.run()
        except SyncBusy:  # `clerk sync` or the timer is running: its work shows next time
            return SyncNews(self.sync_state())
        self.online = summary.online and not summary.refused
        return SyncNews(
            self.sync_state(),
            summary.quarantined,
            summary.flagged,
            summary.followups,
            tuple(summary.set_aside),
        )

    def sync_state(self) -> SyncState:
        counts = self.store.outbox_counts()
        return SyncState(
            self.online,
            counts["pending"] + counts["in_flight"],
            counts["quarantined"],
            self.store.meta("last_success"),
        )


def age(at: datetime) -> str:
    """ "3分钟前" for the status bar."""
    minutes = int((now() - at).total_seconds() // 60)
    if minutes < 1:
        return "刚刚"
    if minutes < 60:
        return f"{minutes}分钟前"
    return f"{at:%m-%d %H:%M}"
