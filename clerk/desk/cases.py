"""The window's cases: search, status filters, days left, and a case's page with its
timeline, where 补正 is received and the result handed out (出件)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Checkbox, DataTable, Footer, Input, Label, Select, Static

from clerk.desk.bundle_view import case_lines, chosen_post, visits_line
from clerk.desk.dialogs import Dialog
from clerk.desk.intake import PersonFields
from clerk.desk.port import DeskPort
from clerk.messages import ReadCard
from clerk.window import IN_PROGRESS, CasePage, Desk
from devices.idcard.card import IdCard
from offline.followup import (
    DELIVERABLE,
    TRACKING_MAX,
    FollowUpError,
    check_tracking_no,
    correctable,
    is_party,
)
from offline.models import (
    CASE_STATUS_NAMES,
    EVALUATION_LEVEL_NAMES,
    MATERIAL_STATUS_NAMES,
    Case,
    CaseLine,
    CaseMaterial,
    Person,
    ServiceItem,
)
from offline.privacy import mask_id
from offline.visits import CaseVisits
from offline.vocabulary import action_name, actor_name
from widgets.materials import MaterialsChecklist

FILTERS = [
    ("全部", ""),
    ("办理中", ",".join(IN_PROGRESS)),
    ("容缺/补正", "accepted_missing,correction_requested"),
    ("待出件", "approved,denied,ready_for_pickup"),
    ("已出件", "delivered,closed"),
    ("不予受理", "refused"),
]


class CasesScreen(Screen[None]):
    DEFAULT_CSS = """
    CasesScreen #filters { height: 3; }
    CasesScreen #search { width: 1fr; }
    CasesScreen #status { width: 20; }
    CasesScreen #none { display: none; color: $warning; margin: 0 1; }
    """
    BINDINGS = [Binding("escape", "app.pop_screen", "返回", id="cases.back")]

    def __init__(self, port: DeskPort) -> None:
        super().__init__()
        self.port = port

    def compose(self) -> ComposeResult:
        with Horizontal(id="filters"):
            yield Input(placeholder="办件编号、证件号码或姓名", id="search")
            yield Select(FILTERS, value="", allow_blank=False, id="status")
        yield Static("没有找到符合条件的办件", id="none")
        yield DataTable(id="cases", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        # status and dates first: what the clerk looks for, seen at 80 columns too
        table.add_columns("办件编号", "状态", "承诺", "剩余工作日", "申请人", "事项", "证件号码")
        self.reload()
        self.query_one("#search", Input).focus()

    @on(Input.Changed, "#search")
    @on(Select.Changed, "#status")
    def reload(self) -> None:
        # each key typed searches; only the newest search's answer is shown
        self.port.run(Desk.cases, *self._query(), done=self.show, group="cases", latest=True)

    def _query(self) -> tuple[str, list[str]]:
        text = self.query_one("#search", Input).value.strip()
        value = str(self.query_one("#status", Select).value or "")
        return text, value.split(",") if value else []

    def show(self, cases: list[tuple[CaseLine, int | None]]) -> None:
        table = self.query_one(DataTable)
        table.clear()
        text, statuses = self._query()
        self.query_one("#none", Static).display = bool(text or statuses) and not cases
        for case, left in cases:
            style = "red" if left is not None and left < 0 else ""
            style = style or ("yellow" if left is not None and left <= 2 else "")
            mark = "⚑" if case.flagged else ""
            table.add_row(
                Text(mark + case.local_no, style=style),
                CASE_STATUS_NAMES[case.status],
                f"{case.promised_by:%m-%d}" if case.promised_by else "—",
                Text("" if left is None else str(left), style=style),
                case.applicant_name,
                case.item_name,
                mask_id(case.applicant_id_number),
                key=case.case_id,
            )

    @on(Input.Submitted, "#search")
    def to_table(self) -> None:
        self.query_one(DataTable).focus()

    @on(DataTable.RowSelected)
    def open_case(self, event: DataTable.RowSelected) -> None:
        case = CaseScreen(self.port, str(event.row_key.value))
        self.app.push_screen(case, lambda _: self.reload())


class CaseScreen(Screen[None]):
    DEFAULT_CSS = """
    CaseScreen VerticalScroll { padding: 0 1; }
    CaseScreen .section { text-style: bold; color: $accent; margin-top: 1; }
    CaseScreen .flag { color: $error; text-style: bold; }
    CaseScreen #actions { height: auto; margin-top: 1; }
    CaseScreen #actions Button { margin-right: 1; }
    """
    BINDINGS = [Binding("escape", "back", "返回", id="case.back")]

    def __init__(self, port: DeskPort, case_id: str) -> None:
        super().__init__()
        self.port, self.case_id = port, case_id
        self.case: Case | None = None

    def compose(self) -> ComposeResult:
        yield VerticalScroll(id="body")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.reload()

    def action_back(self) -> None:
        self.dismiss(None)

    def reload(self) -> None:
        self.port.run(Desk.case_page, self.case_id, done=self.show)

    async def show(self, page: CasePage | None) -> None:
        body = self.query_one("#body", VerticalScroll)
        await body.remove_children()
        if page is None:
            await body.mount(Label("找不到该办件"))
            return
        self.case = case = page.case
        left = page.days_left
        p = case.payload
        rows: list[Any] = [
            Label(f"办件 {case.local_no}", classes="section"),
            Label(f"正式编号：{case.official_no or '（平台尚未赋号）'}"),
            Label(f"事项：{p.item.name}"),
            Label(f"申请人：{p.applicant.name}  {mask_id(p.applicant.id_number)}"),
            Label(f"状态：{CASE_STATUS_NAMES[case.status]}"),
            Label(f"受理时间：{p.accepted_at:%Y-%m-%d %H:%M}  经办：{p.clerk_id}"),
        ]
        if p.promised_by:
            extra = f"（剩余{left}个工作日）" if left is not None else ""
            rows.append(Label(f"承诺办结：{p.promised_by:%Y-%m-%d}{extra}"))
        if case.flagged:
            rows.append(Label(f"⚑ {case.flagged}", classes="flag"))
        rows += [Label(line) for line in case_lines(case)]
        rows.append(Label("", id="visits"))
        rows.append(Label("材料", classes="section"))
        for m in p.materials:
            scans = f"，扫描件{len(m.attachments)}份" if m.attachments else ""
            due = f"，请于{m.due:%Y-%m-%d}前补交" if m.due and m.status == "missing_allowed" else ""
            rows.append(Label(f"  {m.name}：{MATERIAL_STATUS_NAMES[m.status]}{due}{scans}"))
        rows.append(Label("办理过程", classes="section"))
        for event in page.timeline:
            what = action_name(event.action)
            status = event.detail.get("status")
            if status:
                what += f"（{CASE_STATUS_NAMES.get(status, status)}）"
            level = event.detail.get("level")
            if level:
                what += f"（{EVALUATION_LEVEL_NAMES.get(level, level)}）"
            if tracking := event.detail.get("tracking_no"):
                what += f"：快递单号 {tracking}"
            if event.action == "evaluation.followup":
                what += f"：{event.detail.get('text', '')}"
            who = actor_name(event.clerk_id, page.names)
            rows.append(Static(f"  {event.at:%m-%d %H:%M}  {what}  {who}"))
        buttons = []
        if correctable(case):
            buttons.append(Button("补正材料已收", id="correction", variant="primary"))
        if case.status in DELIVERABLE:
            buttons.append(Button("出件", id="deliver", variant="success"))
        if case.flagged:
            buttons.append(Button("已核对平台变更", id="unflag"))
        if page.may_rate_again:
            buttons.append(Button("再次评价（差评已回访）", id="rate-again"))
        rows.append(Horizontal(*buttons, id="actions"))
        await body.mount_all(rows)
        self.port.run(Desk.case_visits, case.case_id, done=self._show_visits)

    def _show_visits(self, counted: CaseVisits | None) -> None:
        if counted is not None and self.query("#visits"):
            self.query_one("#visits", Label).update(visits_line(counted))

    @on(Button.Pressed, "#rate-again")
    def rate_again(self) -> None:
        if self.case:
            self.port.rate([self.case], self.reload)

    @on(Button.Pressed, "#unflag")
    def unflag(self) -> None:
        self.port.run(Desk.clear_flag, self.case_id, done=lambda _: self.reload())

    @on(Button.Pressed, "#correction")
    def correction(self) -> None:
        case = self.case
        assert case is not None

        def loaded(item: ServiceItem | None) -> None:
            if item is None:
                self.notify("本机事项目录中没有该事项，请先同步", severity="error")
                return
            missing = [m.code for m in case.payload.materials if m.status == "missing_allowed"]
            had = {m.code for m in case.payload.materials}
            missing += [s.code for s in item.materials if s.code not in had]
            self.app.push_screen(CorrectionDialog(self.port, item, missing), self._corrected)

        item = case.payload.item
        self.port.run(Desk.item, item.code, item.version, done=loaded)

    def _corrected(self, result: tuple[list[CaseMaterial], bool] | None) -> None:
        if result:
            self.port.run(Desk.receive_correction, self.case, *result, done=self._done)

    @on(Button.Pressed, "#deliver")
    def deliver(self) -> None:
        assert self.case is not None
        self.app.push_screen(DeliverDialog(self.case), self._delivered)

    def _delivered(self, result: tuple[Person, str, str | None, bool] | None) -> None:
        if result:
            self.port.run(Desk.deliver, self.case, *result, done=self._done)

    def _done(self, outcome: Any) -> None:
        self.port.printed(outcome.printed)
        self.notify(f"{outcome.document.name}：{outcome.printed.message}")
        self.reload()


class CorrectionDialog(Dialog):
    """补正: tick what the citizen brought now; F10 scans the focused material."""

    BINDINGS = [Binding("f10", "scan", "扫描", id="correction.scan")]

    def __init__(self, port: DeskPort, item: ServiceItem, codes: list[str]) -> None:
        super().__init__()
        self.port, self.item, self.codes = port, item, codes

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("补正材料", classes="title")
            yield MaterialsChecklist(self.item, only=self.codes)
            yield Checkbox("申请人本人到窗口递交（邮寄、电子证照不勾选）", True, id="in-person")
            yield Label("", classes="error")
            yield self.buttons(("确认收取", "ok", "primary"), ("取消", "cancel", "default"))

    def on_mount(self) -> None:
        """Nothing is taken as brought: the clerk marks what the citizen hands over now."""
        rows = self.query_one(MaterialsChecklist).rows
        if rows:
            rows[0].query_one(Select).focus()

    def action_scan(self) -> None:
        row = self.query_one(MaterialsChecklist).focused_row()
        if row:
            self.port.run(Desk.scan, done=lambda r: row.add_scan(*r))

    @on(Button.Pressed, "#ok")
    def ok(self) -> None:
        materials = [
            m
            for m in self.query_one(MaterialsChecklist).materials()
            if m.status != "missing_allowed"
        ]
        if not materials:
            self.query_one(".error", Label).update("请至少收取一项材料")
            self.query_one(MaterialsChecklist).query(Select).first().focus()
            return
        self.dismiss((materials, self.query_one("#in-person", Checkbox).value))


class DeliverDialog(Dialog):
    """出件: the receiver's card on the reader fills them in (by itself, or F9 as at the
    intake); or typed, checked like any ID. Someone other than the applicant or agent
    collects only with a checked 授权委托书."""

    BINDINGS = [Binding("f9", "read_card", "读卡", id="deliver.read_card")]

    def __init__(self, case: Case) -> None:
        super().__init__()
        self.case = case

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("出件：请领取人放身份证", classes="title")
            yield PersonFields("receiver")
            yield Select(
                [("窗口领取", "pickup"), ("邮寄送达", "post")],
                value="pickup",
                allow_blank=False,
                compact=True,
                id="method",
            )
            yield Input(
                placeholder="快递单号（邮寄时填写）",
                compact=True,
                max_length=TRACKING_MAX,
                id="tracking",
            )
            yield Checkbox(
                "已核验授权委托书（领取人不是申请人或代办人时）", compact=True, id="proxy"
            )
            yield Label("", classes="error")
            yield self.buttons(("确认出件", "ok", "success"), ("取消", "cancel", "default"))

    def card_read(self, card: IdCard) -> None:
        self.query_one(PersonFields).fill(card)
        self.query_one(".error", Label).update("")
        self.notify(f"已读取领取人证件：{card.name} {mask_id(card.id_number)}")

    def action_read_card(self) -> None:
        """F9, as at the intake: the card owner reads, the card comes back to `card_read`."""
        self.post_message(ReadCard())

    def on_mount(self) -> None:
        chosen_post(self)

    @on(Button.Pressed, "#ok")
    def ok(self) -> None:
        fields = self.query_one(PersonFields)
        if found := fields.first_problem("领取人"):
            self.query_one(".error", Label).update(found[0])
            found[1].focus()
            return
        receiver = fields.person()
        method = str(self.query_one("#method", Select).value)
        tracking = self.query_one("#tracking", Input).value.strip() or None
        proxy = self.query_one("#proxy", Checkbox).value
        try:
            if method == "post":
                check_tracking_no(tracking)
        except FollowUpError as error:
            self.query_one(".error", Label).update(str(error))
            self.query_one("#tracking", Input).focus()
            return
        if method == "pickup" and not proxy and not is_party(self.case, receiver):
            self.query_one(".error", Label).update(
                "领取人不是申请人或代办人：请核验其授权委托书，勾选后再确认"
            )
            self.query_one("#proxy", Checkbox).focus()
            return
        self.dismiss((receiver, method, tracking, proxy))
