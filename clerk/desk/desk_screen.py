"""The desk: the window's queue on the left, the intake on the right, devices and sync below.

Every key here runs a `clerk.window.Desk` step in a worker thread and shows its result;
nothing on this screen touches SQLite, a device or the network itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Static

from clerk.desk.dialogs import (
    ChoiceDialog,
    RefuseDialog,
    ResultDialog,
    TextDialog,
    TransferDialog,
)
from clerk.desk.intake import IntakePanel
from clerk.hall.client import HallOffline, WindowView
from clerk.window import Outcome
from devices.idcard.card import IdCard
from devices.printer.preview import to_text
from offline.intake import Intake
from offline.models import CASE_STATUS_NAMES, WINDOW_KIND_NAMES, Case, ServiceItem, Ticket
from offline.privacy import mask_id
from widgets.queue_panel import QueuePanel
from widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from clerk.desk.app import DeskApp

STEP_DONE = {"recall": "已重呼", "no-show": "已过号", "park": "已挂起"}


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
    ]

    app: DeskApp

    def __init__(self) -> None:
        super().__init__()
        self.view = WindowView()
        self.last_case: Case | None = None
        self.rated: set[str] = set()

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
        desk = self.app.desk
        session = desk.session
        assert session is not None
        who = f"{session.clerk.name}（{session.clerk.clerk_id}）"
        if session.takeover:
            who += f" AB岗顶岗，本窗口A岗：{session.owner}"
        kind = WINDOW_KIND_NAMES.get(desk.window_kind, desk.window_kind)
        self.query_one("#top", Static).update(
            f"{desk.centre.name}  {desk.window_no}号窗口（{kind}）  当班：{who}"
        )
        bar = self.query_one(StatusBar)
        bar.clerk = f"当班 {session.clerk.clerk_id}"
        self.app.fill_status(bar)
        self.refresh_queue()
        self.query_one(IntakePanel).clear()

    # --- the queue -------------------------------------------------------------------------

    def refresh_queue(self) -> None:
        self.app.run_step(self.app.desk.queue, done=self.show_queue, quiet=(HallOffline,))

    def show_queue(self, view: WindowView | None) -> None:
        panel = self.query_one(QueuePanel)
        if view is None:
            panel.show(self.view.current, {}, [], None, offline=True)
            return
        self.view = view
        panel.show(view.current, view.waiting, view.parked, view.paused)
        self.query_one(IntakePanel).ticket = view.current.number if view.current else None

    def action_call_next(self) -> None:
        def called(ticket: Ticket | None) -> None:
            if ticket is None:
                self.notify("没有人在排队")
            else:
                self.notify(f"请{ticket.number}号到{self.app.desk.window_no}号窗口办理")
                self.query_one(IntakePanel).clear()
            self.refresh_queue()

        self.app.run_step(self.app.desk.call_next, done=called)

    def action_step(self, action: str) -> None:
        def done(ticket: Ticket) -> None:
            self._queue_changed(f"{ticket.number} {STEP_DONE.get(action, '')}")

        self.app.run_step(self.app.desk.queue_step, action, done=done)

    def action_pause(self) -> None:
        if self.view.paused:
            self.app.run_step(
                self.app.desk.resume, done=lambda _: self._queue_changed("已恢复服务")
            )
            return

        def reason_given(reason: str | None) -> None:
            if reason:
                self.app.run_step(
                    self.app.desk.pause, reason, done=lambda _: self._queue_changed("已暂停服务")
                )

        self.app.push_screen(
            TextDialog("暂停服务", "暂停原因（如：临时离开、系统维护）"), reason_given
        )

    def _queue_changed(self, message: str) -> None:
        self.notify(message)
        self.refresh_queue()

    def action_transfer(self) -> None:
        def chosen(target: tuple[str | None, int | None] | None) -> None:
            if target:
                self.app.run_step(
                    self.app.desk.transfer,
                    *target,
                    done=lambda t: self._queue_changed(f"{t.number} 已转移，号码不变"),
                )

        self.app.push_screen(TransferDialog(), chosen)

    def action_call_back(self) -> None:
        if not self.view.parked:
            self.notify("本窗口没有挂起的号")
            return

        def chosen(number: str | None) -> None:
            if number:
                self.app.run_step(
                    self.app.desk.call_back,
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
        def read(card: IdCard | None) -> None:
            if card is None:
                self.notify("读卡器上没有证件，请放好证件", severity="warning")
            else:
                self.card_read(card)

        self.app.run_step(self.app.read_card_once, done=read)

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

        self.app.run_step(self.app.desk.scan, done=scanned)

    def action_reprint(self) -> None:
        def printed(result: Any) -> None:
            if result is None:
                self.notify("还没有可重新打印的单据")
            else:
                self.app.show_print(result)

        self.app.run_step(self.app.desk.reprint, done=printed)

    # --- intake --------------------------------------------------------------------------------

    @on(IntakePanel.ItemSearch)
    def search_items(self, event: IntakePanel.ItemSearch) -> None:
        def found(items: list[ServiceItem]) -> None:
            self.query_one(IntakePanel).show_items(event.text, items)

        self.app.run_step(self.app.desk.search_items, event.text, done=found, group="items")

    def action_decide(self, which: str) -> None:
        getattr(self, which)()

    def _intake(self) -> Intake | None:
        """What was typed, read here on the UI thread; None after telling what is wrong."""
        try:
            return self.query_one(IntakePanel).intake()
        except ValueError as error:  # pydantic's ValidationError is one too
            self.app.tell(error)
            return None

    @on(Button.Pressed, "#accept")
    def accept(self) -> None:
        if entry := self._intake():
            self.app.run_step(self.app.desk.accept, entry, done=self.decided)

    @on(Button.Pressed, "#refuse")
    def refuse(self) -> None:
        entry = self._intake()
        if entry is None:
            return

        def given(refusal: Any) -> None:
            if refusal:
                self.app.run_step(self.app.desk.refuse, entry, refusal, done=self.decided)

        self.app.push_screen(RefuseDialog(), given)

    @on(Button.Pressed, "#notice")
    def notice(self) -> None:
        panel = self.query_one(IntakePanel)
        if panel.item is None or panel.checklist is None:
            self.notify("请先选择事项", severity="warning")
            return
        item, missing = panel.item, panel.checklist.missing() or panel.item.materials
        name = panel.query_one("#applicant-name", Input).value.strip() or "申请人"
        self.app.run_step(self.app.desk.tell_once, item, name, missing, done=self.decided)

    @on(Button.Pressed, "#consult")
    def consult(self) -> None:
        panel = self.query_one(IntakePanel)
        code = panel.item.code if panel.item else None

        def counted(today: int) -> None:
            self.notify(f"已记录咨询（今日第 {today} 次，不生成办件）")
            panel.clear()

        self.app.run_step(self.app.desk.consult, code, panel.ticket, done=counted)

    def clear(self) -> None:
        self.query_one(IntakePanel).clear()

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
        self.app.show_print(outcome.printed, quiet=True)
        preview = to_text(outcome.document, self.app.desk.services.paper().columns)
        title = outcome.document.name if not case else f"{CASE_STATUS_NAMES[case.status]}，已保存"
        self.app.push_screen(ResultDialog(title, lines, preview), lambda _: self.after(case))

    def after(self, case: Case | None) -> None:
        self.query_one(IntakePanel).clear()
        if case:
            self.last_case = case
            self.action_evaluate()

    # --- evaluation ----------------------------------------------------------------------------

    def action_evaluate(self) -> None:
        case = self.last_case
        if case is None or case.case_id in self.rated:
            self.notify("没有待评价的办件")
            return
        self.rated.add(case.case_id)
        self.app.rate(case)

    # --- elsewhere -----------------------------------------------------------------------------

    def action_cases(self) -> None:
        from clerk.desk.cases import CasesScreen

        self.app.push_screen(CasesScreen())

    def action_logout(self) -> None:
        self.app.logout()
