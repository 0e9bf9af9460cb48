"""The desk: the window's queue on the left, the intake on the right, devices and sync below.

Every key here asks its `DeskPort` for a `clerk.window.Desk` step, run in a worker thread, and
shows its result; nothing on this screen touches SQLite, a device or the network itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rich.cells import cell_len
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Static

from clerk.desk.dialogs import (
    ChoiceDialog,
    DraftsDialog,
    RefuseDialog,
    ResultDialog,
    TextDialog,
    TransferDialog,
)
from clerk.desk.intake import FieldProblem, IntakePanel
from clerk.desk.port import DeskPort
from clerk.hall.client import HallOffline, WindowView
from clerk.messages import ReadCard
from clerk.window import Desk, Outcome
from devices.idcard.card import IdCard
from devices.printer.preview import to_text
from devices.printer.printer import PrintResult
from offline.bundles import SharedChecklist
from offline.intake import Intake
from offline.models import (
    CASE_STATUS_NAMES,
    WINDOW_KIND_NAMES,
    Bundle,
    Case,
    Draft,
    ServiceItem,
    Ticket,
)
from offline.privacy import mask_id
from offline.queue import PAUSE_REASON_MAX
from widgets.queue_panel import QueuePanel
from widgets.status_bar import StatusBar

STEP_DONE = {"recall": "已重呼", "no-show": "已过号", "park": "已挂起"}
JUST_CALLED = 5.0  # seconds: F1 again this soon on a ticket with nothing done is asked first


class DeskScreen(Screen[None]):
    DEFAULT_CSS = """
    DeskScreen #top { height: 1; background: $primary; color: $text; padding: 0 1; }
    DeskScreen #main { height: 1fr; }
    DeskScreen #decisions { height: 1; margin: 0 1; }
    DeskScreen #decisions Button { min-width: 0; width: auto; margin-right: 2; }
    """
    BINDINGS = [
        Binding("f1", "call_next", "呼叫", id="desk.call_next"),
        Binding("f2", "step('recall')", "重呼", id="desk.recall"),
        Binding("f3", "evaluate", "评价", id="desk.evaluate"),
        Binding("f4", "step('no-show')", "过号", id="desk.no_show"),
        Binding("f5", "pause", "暂停", id="desk.pause"),
        Binding("f6", "transfer", "转移", id="desk.transfer"),
        Binding("f7", "step('park')", "挂起", id="desk.park"),
        Binding("f8", "call_back", "回呼", id="desk.call_back"),
        Binding("f9", "read_card", "读卡", id="desk.read_card"),
        Binding("f10", "scan", "扫描", id="desk.scan"),
        Binding("f11", "reprint", "打印", id="desk.reprint"),
        Binding("ctrl+f", "cases", "办件", id="desk.cases"),
        Binding("ctrl+l", "logout", "退出登录", id="desk.logout", show=False),
        Binding("ctrl+s", "decide('accept')", "受理", id="desk.accept", show=False),
        Binding("ctrl+g", "decide('notice')", "一次性告知", id="desk.notice", show=False),
        Binding("ctrl+r", "decide('refuse')", "不予受理", id="desk.refuse", show=False),
        Binding("ctrl+t", "decide('consult')", "咨询", id="desk.consult", show=False),
        Binding("ctrl+n", "decide('clear')", "清空", id="desk.clear", show=False),
        Binding("ctrl+o", "drafts", "暂存的录入", id="desk.drafts", show=False),
        Binding("ctrl+y", "notes", "交接留言", id="desk.notes", show=False),
    ]

    class Leave(Message):
        """退出登录 (or 退出程序 after it): the intake is already 暂存'd."""

        def __init__(self, exit_after: bool) -> None:
            super().__init__()
            self.exit_after = exit_after

    def __init__(
        self,
        port: DeskPort,
        devices: dict[str, tuple[str, bool]] | None = None,
        sync: tuple[str, bool] | None = None,
    ) -> None:
        """`devices` and `sync`: what the status bar starts from (the app keeps it current)."""
        super().__init__()
        self.port = port
        self.status = dict(devices or {}), sync
        self.view = WindowView()
        self.last_cases: list[Case] = []  # the citizen's cases just decided, to rate
        self.rated: set[str] = set()
        self.calling = False  # a call is in flight: F1 again is a bounce, ignored
        self.last_call: tuple[Ticket, float] | None = None  # what this desk called, when

    def compose(self) -> ComposeResult:
        yield Static("", id="top")
        with Horizontal(id="main"):
            yield QueuePanel()
            with Vertical():
                yield IntakePanel()
                with Horizontal(id="decisions"):
                    yield Button("受理 ^S", compact=True, id="accept", variant="success")
                    yield Button("一次性告知 ^G", compact=True, id="notice", variant="primary")
                    yield Button("不予受理 ^R", compact=True, id="refuse", variant="error")
                    yield Button("咨询 ^T", compact=True, id="consult")
        yield StatusBar()
        yield Footer(compact=True)

    def on_mount(self) -> None:
        bar = self.query_one(StatusBar)
        devices, sync = self.status
        for device, (state, ok) in devices.items():
            bar.set_device(device, state, ok)
        if sync:
            bar.sync = sync
        self.show_session()
        self.query_one(IntakePanel).clear()
        self.port.run(Desk.drafts, done=self.offer_drafts)

    def show_session(self) -> None:
        """Who is on duty (after login, and after an unlock, maybe by an AB岗 backup, which
        keeps the intake on screen as it was)."""
        session = self.port.session
        assert session is not None
        self.show_header()
        self.query_one(StatusBar).clerk = f"当班 {session.clerk.clerk_id}"
        self.refresh_queue()

    def on_resize(self) -> None:
        self.show_header()

    def show_header(self) -> None:
        """The window and who is on duty; a backup clerk's 顶岗 said in full where it fits,
        shorter where not (at 80 columns the full words were cut off, and with them the
        very fact that a backup clerk is on duty)."""
        session, window = self.port.session, self.port.window
        if session is None:
            return
        who = f"{session.clerk.name}（{session.clerk.clerk_id}）"
        line = f"{window.centre}  {window.no}号窗口（{window.kind}）  当班：{who}"
        if session.takeover:
            full = f"{line} AB岗顶岗，本窗口A岗：{session.owner_label}"
            short = f"{line} 顶岗·A岗{session.owner_name or session.owner}"
            line = full if cell_len(full) <= self.size.width - 2 else short
        self.query_one("#top", Static).update(line)

    # --- the queue -------------------------------------------------------------------------

    def refresh_queue(self) -> None:
        self.port.run(Desk.queue, done=self.show_queue, quiet=(HallOffline,))

    def show_queue(self, view: WindowView | None) -> None:
        panel = self.query_one(QueuePanel)
        if view is None:
            panel.show(self.view.current, {}, [], None, offline=True)
            return
        self.view = view
        panel.show(view.current, view.waiting, view.parked, view.paused)
        self.query_one(IntakePanel).current_ticket = view.current.number if view.current else None

    def action_call_next(self) -> None:
        """呼叫; with an intake under way, asked first: 暂存 it and call, or stay. F1 while a
        call is in flight does nothing, and F1 on a ticket called moments ago with nothing
        done is asked first: a key bounce must not finish a citizen nobody has served."""
        if self.calling:
            return
        if not self.query_one(IntakePanel).is_empty:
            self._ask_then_call()
            return
        just = self.last_call
        if just is None or time.monotonic() - just[1] >= JUST_CALLED:
            self._call_next()
            return
        self.calling = True  # until the ticket's cases are counted

        def counted(cases: int) -> None:
            self.calling = False
            if cases:
                self._call_next()
                return

            def chosen(choice: str | None) -> None:
                if choice == "call":
                    self._call_next()

            text = f"{just[0].number} 号刚刚呼叫，尚未办理。结束该号并呼叫下一位？"
            options = [("结束并呼叫下一位", "call")]
            dialog = ChoiceDialog(
                "呼叫下一位？", options, text, f"继续办理 {just[0].number}", confirm=True
            )
            self.app.push_screen(dialog, chosen)

        self.port.run(Desk.ticket_cases, just[0], done=counted, failed=self._call_failed)

    def _ask_then_call(self) -> None:
        def chosen(choice: str | None) -> None:
            if choice == "park":
                self.park_draft(then=self._call_next)

        text = "当前录入尚未受理。暂存后可从“暂存的录入”（Ctrl+O）继续。"
        dialog = ChoiceDialog(
            "呼叫下一位？", [("暂存并呼叫下一位", "park")], text, "留在当前录入", confirm=True
        )
        self.app.push_screen(dialog, chosen)

    def _call_failed(self, error: BaseException) -> None:
        self.calling = False
        self.port.tell(error)

    def _call_next(self) -> None:
        self.calling = True

        def called(ticket: Ticket | None) -> None:
            self.calling = False
            if ticket is None:
                self.notify("没有人在排队")
            else:
                self.last_call = ticket, time.monotonic()
                self.notify(f"请{ticket.number}号到{self.port.window.no}号窗口办理")
                self.query_one(IntakePanel).clear()
            self.refresh_queue()

        self.port.run(Desk.call_next, done=called, failed=self._call_failed)

    def action_step(self, action: str) -> None:
        def done(ticket: Ticket) -> None:
            self._queue_changed(f"{ticket.number} {STEP_DONE.get(action, '')}")

        def step() -> None:
            self.port.run(Desk.queue_step, action, done=done)

        if action == "no-show":
            self.confirm_if_worked("过号", step)
        else:
            step()

    def confirm_if_worked(self, what: str, go: Callable[[], None]) -> None:
        """过号 and 转移 of a ticket with work on it (a case decided, an intake typed) are
        asked first: a key pressed by mistake must not send away a citizen who was served."""
        current, panel = self.view.current, self.query_one(IntakePanel)
        if current is None:
            go()  # the hall says there is nothing to do
            return
        number = current.number

        def counted(cases: int) -> None:
            reasons = []
            if cases:
                reasons.append(f"该号今天已办理 {cases} 件")
            if not panel.is_empty:
                reasons.append("当前录入尚未受理（将暂存）")
            if not reasons:
                go()
                return

            def chosen(choice: str | None) -> None:
                if choice == "go":
                    self.park_draft(then=go)

            text = "；".join(reasons) + "。"
            options = [(f"确认{what}", "go")]
            dialog = ChoiceDialog(f"{what} {number}？", options, text, "返回", confirm=True)
            self.app.push_screen(dialog, chosen)

        self.port.run(Desk.ticket_cases, current, done=counted)

    def action_pause(self) -> None:
        if self.view.paused:
            self.port.run(Desk.resume, done=lambda _: self._queue_changed("已恢复服务"))
            return

        def reason_given(reason: str | None) -> None:
            if reason:
                self.port.run(Desk.pause, reason, done=lambda _: self._queue_changed("已暂停服务"))

        self.app.push_screen(
            TextDialog(
                "暂停服务",
                f"暂停原因（如：临时离开、系统维护；至多{PAUSE_REASON_MAX}字）",
                max_length=PAUSE_REASON_MAX,
            ),
            reason_given,
        )

    def _queue_changed(self, message: str) -> None:
        self.last_call = None  # the ticket called is not the window's current one any more
        self.notify(message)
        self.refresh_queue()

    def action_transfer(self) -> None:
        def chosen(target: tuple[str | None, int | None] | None) -> None:
            if target:
                self.port.run(
                    Desk.transfer,
                    *target,
                    done=lambda t: self._queue_changed(f"{t.number} 已转移，号码不变"),
                )

        def ask() -> None:
            own = self.port.window.no
            windows = [n for n in self.view.windows if n != own]
            kinds = self.view.hall_kinds or list(WINDOW_KIND_NAMES)
            self.app.push_screen(TransferDialog(kinds, windows), chosen)

        self.confirm_if_worked("转移", ask)

    def action_call_back(self) -> None:
        if not self.view.parked:
            self.notify("本窗口没有挂起的号")
            return

        def chosen(number: str | None) -> None:
            if number:
                self.port.run(
                    Desk.call_back,
                    number,
                    done=lambda t: self._queue_changed(f"已回呼 {t.number}"),
                )

        options = [(n, n) for n in self.view.parked]
        self.app.push_screen(ChoiceDialog("回呼挂起的号", options), chosen)

    # --- devices -------------------------------------------------------------------------------

    def card_read(self, card: IdCard) -> None:
        who = self.query_one(IntakePanel).fill_from_card(card)
        self.notify(f"已读取{who}证件：{card.name} {mask_id(card.id_number)}")

    def action_read_card(self) -> None:
        """F9: the card owner reads; the card comes back as `CardRead` (see DeskApp)."""
        self.post_message(ReadCard())

    def action_scan(self) -> None:
        checklist = self.query_one(IntakePanel).checklist
        row = checklist.focused_row() if checklist else None
        if row is None:
            self.notify("请先选择事项，再扫描材料", severity="warning")
            return
        self.notify(f"正在扫描：{row.spec.name}")

        def scanned(result: tuple[str, int]) -> None:
            row.add_scan(*result)
            self.notify(f"{row.spec.name} 已扫描 {result[1]} 页")

        self.port.run(Desk.scan, done=scanned)

    def action_reprint(self) -> None:
        """F11: the last paper again, marked 补打; the clerk is told which and how it went."""

        def printed(result: tuple[str, PrintResult] | None) -> None:
            if result is None:
                self.notify("还没有可补打的单据（本次登录后尚未打印）", severity="warning")
                return
            name, outcome = result
            self.port.printed(outcome, quiet=True)
            self.notify(
                f"补打{name}：{outcome.message}",
                severity="warning" if outcome.waiting else "information",
            )

        self.port.run(Desk.reprint, done=printed)

    # --- intake --------------------------------------------------------------------------------

    @on(IntakePanel.ItemSearch)
    def search_items(self, event: IntakePanel.ItemSearch) -> None:
        def found(result: tuple[list[ServiceItem], list[Bundle]]) -> None:
            self.query_one(IntakePanel).show_items(event.text, *result)

        self.port.run(Desk.search, event.text, done=found, group="items", latest=True)

    @on(IntakePanel.BundleChosen)
    def bundle_chosen(self, event: IntakePanel.BundleChosen) -> None:
        from clerk.desk.bundle_intake import open_bundle

        open_bundle(self, self.port, event.bundle)

    def action_decide(self, which: str) -> None:
        getattr(self, which)()

    def _intake(self, *, marked: bool = False, form: bool = True) -> Intake | None:
        """What was typed, read here on the UI thread; None after telling what is wrong and
        putting the focus on the field to fix. `marked`: every required material too;
        `form`: the form complete and right (not for 不予受理)."""
        panel = self.query_one(IntakePanel)
        try:
            entry = panel.intake(form=form)
            if marked and (problem := panel.unmarked()):
                raise problem
            return entry
        except FieldProblem as problem:
            self.port.tell(problem)
            if problem.field is not None:
                problem.field.focus()
                problem.field.scroll_visible(animate=False)
            return None
        except ValueError as error:  # pydantic's ValidationError is one too
            self.port.tell(error)
            return None

    @on(Button.Pressed, "#accept")
    def accept(self) -> None:
        if entry := self._intake(marked=True):
            draft_id = self.query_one(IntakePanel).draft_id
            self.port.run(Desk.accept, entry, draft_id, done=self.decided)

    @on(Button.Pressed, "#refuse")
    def refuse(self) -> None:
        entry = self._intake(form=False)
        if entry is None:
            return

        draft_id = self.query_one(IntakePanel).draft_id

        def given(refusal: Any) -> None:
            if refusal:
                self.port.run(Desk.refuse, entry, refusal, draft_id, done=self.decided)

        self.app.push_screen(RefuseDialog(), given)

    @on(Button.Pressed, "#notice")
    def notice(self) -> None:
        panel = self.query_one(IntakePanel)
        if panel.item is None or panel.checklist is None:
            self.notify("请先选择事项", severity="warning")
            return
        item, missing = panel.item, panel.checklist.missing() or panel.item.materials
        name = panel.query_one("#applicant-name", Input).value.strip() or "申请人"
        self.port.run(Desk.tell_once, item, name, missing, done=self.decided)

    @on(Button.Pressed, "#consult")
    def consult(self) -> None:
        panel = self.query_one(IntakePanel)
        code = panel.item.code if panel.item else None

        def counted(today: int) -> None:
            self.notify(f"已记录咨询（今日第 {today} 次，不生成办件）")
            self.end_draft("draft.consult")

        self.port.run(Desk.consult, code, panel.ticket, done=counted)

    def clear(self) -> None:
        """清空: asked first when something is typed (the draft is thrown away)."""
        if self.query_one(IntakePanel).is_empty:
            return

        def chosen(choice: str | None) -> None:
            if choice == "clear":
                self.end_draft("draft.discard")

        options = [("清空（不保存）", "clear")]
        dialog = ChoiceDialog("清空当前录入？", options, cancel="保留", confirm=True)
        self.app.push_screen(dialog, chosen)

    def decided(self, outcome: Outcome) -> None:
        case = outcome.case
        lines = []
        if case:
            lines += [
                f"办件编号：{case.local_no}",
                f"状态：{CASE_STATUS_NAMES[case.status]}",
            ]
            if case.payload.promised_by:
                lines.append(f"承诺办结：{case.payload.promised_by:%Y年%m月%d日}")
            if case.missing:
                lines.append("容缺材料：" + "、".join(m.name for m in case.missing))
        lines.append(f"{outcome.document.name}：{outcome.printed.message}")
        self.port.printed(outcome.printed, quiet=True)
        paper = self.port.paper
        preview = to_text(outcome.document, paper.columns, paper.codec)
        title = outcome.document.name if not case else f"{CASE_STATUS_NAMES[case.status]}，已保存"
        self.app.push_screen(ResultDialog(title, lines, preview), lambda _: self.after(case))

    def after(self, case: Case | None) -> None:
        if case is None:  # 一次性告知: the citizen comes back with everything, a new intake
            self.end_draft("draft.notice")
        self.query_one(IntakePanel).clear()
        if case:
            self.to_rate([case])

    def to_rate(self, cases: list[Case]) -> None:
        """The citizen rates what was just done for them: a case, or a 一件事's cases."""
        self.last_cases = cases
        self.action_evaluate()

    # --- drafts: nothing typed is lost ---------------------------------------------------------

    @on(IntakePanel.Changed)
    def save_draft(self) -> None:
        """Each field left, each choice made: the intake as it stands goes to the store."""
        draft = self._draft()
        if draft is not None:
            self.port.run(Desk.save_draft, draft, group="draft")

    def _draft(self) -> Draft | None:
        """The intake on screen as a draft of this window and clerk (None: nothing typed)."""
        session = self.port.session
        if session is None:
            return None
        return self.query_one(IntakePanel).draft(self.port.window.no, session.clerk.clerk_id)

    def on_screen_suspend(self) -> None:
        """A lock, a dialog, the case list: what is typed is in the store first."""
        self.save_draft()

    def park_draft(self, then: Callable[[], None]) -> None:
        """暂存 the intake (audited), clear it, then go on."""
        draft = self._draft()
        self.query_one(IntakePanel).clear()
        if draft is None:
            then()
            return
        self.notify(f"已暂存：{draft.summary}")
        self.port.run(Desk.park_draft, draft, done=lambda _: then())

    def offer_drafts(self, drafts: list[Draft]) -> None:
        """At login: the window's unfinished intakes (a lock, a crash, a logout) come back."""
        if drafts and self.query_one(IntakePanel).is_empty and self.app.screen is self:
            self.app.push_screen(DraftsDialog(drafts), self.resume_draft)

    def action_drafts(self) -> None:
        def listed(drafts: list[Draft]) -> None:
            current = self.query_one(IntakePanel).draft_id
            drafts = [d for d in drafts if d.draft_id != current]  # not the one on screen
            if not drafts:
                self.notify("没有暂存的录入")
            else:
                self.app.push_screen(DraftsDialog(drafts), self.resume_draft)

        self.port.run(Desk.drafts, done=listed)

    def resume_draft(self, draft: Draft | None) -> None:
        """Carry on with a draft; the intake on screen, if any, is 暂存'd first."""
        panel = self.query_one(IntakePanel)
        if draft is None or draft.draft_id == panel.draft_id:
            return
        if draft.bundle:
            self._resume_bundle(draft)
            return

        async def loaded(item: ServiceItem | None) -> None:
            await panel.restore(draft, item)
            if draft.item_code and item is None:
                self.notify("该事项已不在本机目录中，请重新选择事项", severity="warning")
            self.notify(f"继续办理：{draft.summary}")

        def done(item: ServiceItem | None) -> None:
            self.call_later(loaded, item)

        self.port.run(Desk.resume_draft, self._draft(), draft, done=done)

    def _resume_bundle(self, draft: Draft) -> None:
        """A 一件事 draft: the desk holds its applicant, the bundle intake the rest."""
        from clerk.desk.bundle_intake import show_bundle

        panel = self.query_one(IntakePanel)

        async def loaded(found: tuple[Bundle, list[ServiceItem], SharedChecklist] | None) -> None:
            await panel.restore(draft, None)
            if found is None:
                self.notify("该一件事已不在本机目录中，请重新选择事项", severity="warning")
                return
            show_bundle(self, self.port, *found, resumed=draft)
            self.notify(f"继续办理：{draft.summary}")

        def done(found: tuple[Bundle, list[ServiceItem], SharedChecklist] | None) -> None:
            self.call_later(loaded, found)

        self.port.run(Desk.resume_bundle, self._draft(), draft, done=done)

    def end_draft(self, action: str) -> None:
        """The intake ended without a case (一次性告知, 咨询, 清空): its draft goes."""
        panel = self.query_one(IntakePanel)
        if panel.draft_id:
            self.port.run(Desk.end_draft, panel.draft_id, action, group="draft")
        panel.clear()

    # --- evaluation ----------------------------------------------------------------------------

    def action_evaluate(self) -> None:
        cases = [c for c in self.last_cases if c.case_id not in self.rated]
        if not cases:
            self.notify("没有待评价的办件")
            return
        ids = {c.case_id for c in cases}
        self.rated.update(ids)
        self.port.rate(cases, put_off=lambda: self.rated.difference_update(ids))

    # --- elsewhere -----------------------------------------------------------------------------

    def action_cases(self) -> None:
        from clerk.desk.cases import CasesScreen

        self.app.push_screen(CasesScreen(self.port))

    def action_notes(self) -> None:
        """The AB岗 handover notes of this session, again, with who left them."""
        session = self.port.session
        notes = session.notes if session else []
        if not notes:
            self.notify("本次登录没有交接留言")
            return
        self.app.push_screen(ResultDialog("交接留言", [note.line for note in notes]))

    def action_logout(self) -> None:
        self.leave(exit_after=False)

    def leave(self, exit_after: bool) -> None:
        """退出登录 (Ctrl+L) or 退出程序 (Ctrl+Q): asked, the intake 暂存'd, the logout audited."""
        empty = self.query_one(IntakePanel).is_empty
        if empty and not exit_after:
            self.leave_now(exit_after=False)
            return

        def chosen(choice: str | None) -> None:
            if choice == "go":
                self.park_draft(then=lambda: self.leave_now(exit_after))

        title = "退出程序？" if exit_after else "退出登录？"
        text = "" if empty else "当前录入尚未受理，将暂存，下次登录可继续。"
        if exit_after:
            text += "退出程序前先退出登录。"
        go = "暂存并退出" if not empty else "退出"
        self.app.push_screen(ChoiceDialog(title, [(go, "go")], text, confirm=True), chosen)

    def leave_now(self, exit_after: bool) -> None:
        self.post_message(self.Leave(exit_after))
