"""The 一件事 intake: one applicant, the shared fields once, each member's own fields under its
name, one materials checklist (一套材料) and one 送达方式; 受理 makes a case per member.

A member the citizen does not need is unticked (left out); a member that cannot be accepted
gets 不予受理 with its reason while the others are accepted. Like the desk, this screen only
collects what is typed; `clerk.window.Desk.accept_bundle` decides and saves in a worker.
As the single intake, it is a draft in the store as each field is left: the desk's draft,
lent to this screen while it is open, offered back after a crash and ended by 受理.
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Footer, Input, Label, Select, Static

from clerk.desk.dialogs import ChoiceDialog, ResultDialog
from clerk.desk.intake import FieldProblem, PersonFields, unmarked_problem
from clerk.desk.port import DeskPort
from clerk.window import BundleOutcome, Desk
from devices.idcard.card import IdCard
from devices.printer.preview import to_text
from offline.bundles import (
    BUNDLE_MARK,
    BundleIntake,
    MemberEntry,
    SharedChecklist,
    own_form,
    shared_fields,
)
from offline.clock import now
from offline.intake import form_problems
from offline.models import (
    CASE_STATUS_NAMES,
    CASE_TYPE_NAMES,
    Bundle,
    Draft,
    DraftBundle,
    DraftMember,
    Refusal,
    ServiceItem,
)
from offline.privacy import mask_id
from widgets.delivery import DeliveryChooser
from widgets.materials import NOT_RECEIVED, MaterialsChecklist
from widgets.schema_form import SchemaForm


class MemberPanel(Vertical):
    """One member: taken or left out, its own fields, and 不予受理 with a reason."""

    DEFAULT_CSS = """
    MemberPanel { height: auto; border-left: thick $secondary; padding-left: 1; margin-bottom: 1; }
    MemberPanel .member-head { height: 1; }
    MemberPanel .member-head Checkbox { width: 1fr; }
    MemberPanel .refusal { display: none; height: 1; margin-bottom: 1; }
    MemberPanel .refusal Input { width: 1fr; margin-right: 1; }
    MemberPanel.refused .refusal { display: block; }
    MemberPanel.left-out .member-body { display: none; }
    MemberPanel .member-body { height: auto; }
    """

    def __init__(self, bundle: Bundle, item: ServiceItem, n: int) -> None:
        super().__init__(id=f"member-{n}")
        self.bundle, self.item = bundle, item

    def compose(self) -> ComposeResult:
        limit = self.item.promised_limit
        days = f"，承诺{limit.count}个工作日" if limit else ""
        with Horizontal(classes="member-head"):
            yield Checkbox(
                f"{self.item.name}（{CASE_TYPE_NAMES[self.item.case_type]}{days}）",
                value=True,
                compact=True,
                classes="take",
            )
            yield Checkbox("不予受理", compact=True, classes="refuse")
        with Vertical(classes="member-body"):
            with Horizontal(classes="refusal"):
                yield Input(placeholder="不予受理理由", compact=True, classes="reason")
                yield Input(placeholder="建议前往", compact=True, classes="refer")
            form = own_form(self.bundle, self.item)
            if form["properties"]:
                yield SchemaForm(form)

    @on(Checkbox.Changed, ".take")
    def taken(self, event: Checkbox.Changed) -> None:
        self.set_class(not event.value, "left-out")

    @on(Checkbox.Changed, ".refuse")
    def refused(self, event: Checkbox.Changed) -> None:
        self.set_class(event.value, "refused")

    @property
    def included(self) -> bool:
        return self.query_one(".take", Checkbox).value

    def entry(self) -> MemberEntry:
        forms = self.query(SchemaForm)
        refusal = None
        if self.query_one(".refuse", Checkbox).value:
            reason = self.query_one(".reason", Input).value.strip()
            if not reason:
                raise FieldProblem(f"请填写“{self.item.name}”的不予受理理由")
            refer = self.query_one(".refer", Input).value.strip() or None
            refusal = Refusal(reason=reason, refer_to=refer)
        return MemberEntry(
            item_code=self.item.code,
            form=forms.first().values if forms else {},
            refusal=refusal,
        )

    @property
    def refusing(self) -> bool:
        return self.query_one(".refuse", Checkbox).value

    def problems(self, shared: dict[str, Any]) -> dict[str, str]:
        """What is wrong with this member's form (the shared fields it has included), by
        field; a member refused needs no form."""
        if self.refusing:
            return {}
        forms = self.query(SchemaForm)
        own = forms.first().values if forms else {}
        known = self.item.form.get("properties", {})
        return form_problems(self.item, {k: v for k, v in shared.items() if k in known} | own)

    def first_problem(self, shared: dict[str, Any]) -> FieldProblem | None:
        """The first of this member's own fields to put right, top to bottom."""
        if self.refusing:
            reason = self.query_one(".reason", Input)
            if reason.value.strip():
                return None
            return FieldProblem(f"请填写“{self.item.name}”的不予受理理由", reason)
        problems = self.problems(shared)
        return next(
            (
                FieldProblem(f"{self.item.name}：{problems[str(field.name)]}", field)
                for field in self.query("SchemaForm Input, SchemaForm Select")
                if field.name in problems
            ),
            None,
        )

    def draft(self) -> DraftMember:
        forms = self.query(SchemaForm)
        return DraftMember(
            item_code=self.item.code,
            taken=self.included,
            refused=self.query_one(".refuse", Checkbox).value,
            reason=self.query_one(".reason", Input).value,
            refer_to=self.query_one(".refer", Input).value,
            form=forms.first().raw() if forms else {},
        )

    def restore(self, saved: DraftMember) -> None:
        self.query_one(".take", Checkbox).value = saved.taken
        self.query_one(".refuse", Checkbox).value = saved.refused
        self.query_one(".reason", Input).value = saved.reason
        self.query_one(".refer", Input).value = saved.refer_to
        if forms := self.query(SchemaForm):
            forms.first().fill(saved.form)


class BundleIntakeScreen(Screen[BundleOutcome | None]):
    """一件事受理: dismissed with the outcome once every member's case is saved."""

    DEFAULT_CSS = """
    BundleIntakeScreen #bundle-body { padding: 0 1; }
    BundleIntakeScreen .section { text-style: bold; color: $accent; margin-top: 1; }
    BundleIntakeScreen #bundle-title { text-style: bold; background: $primary; padding: 0 1; }
    BundleIntakeScreen #bundle-actions { height: 1; margin: 0 1; }
    BundleIntakeScreen #bundle-actions Button { min-width: 0; width: auto; margin-right: 2; }
    BundleIntakeScreen #bundle-error { color: $error; height: auto; margin: 0 1; }
    """
    BINDINGS = [
        Binding("ctrl+s", "accept", "受理", id="bundle.accept"),
        Binding("f10", "scan", "扫描", id="bundle.scan"),
        Binding("escape", "back", "返回", id="bundle.back"),
    ]

    def __init__(
        self,
        port: DeskPort,
        bundle: Bundle,
        items: list[ServiceItem],
        shared: SharedChecklist,
        draft: Draft,
    ) -> None:
        """`draft`: the desk's intake this one goes on from (its applicant and ticket), or a
        一件事 draft to carry on with."""
        super().__init__()
        self.port = port
        self.bundle, self.items, self.shared = bundle, items, shared
        self.base, self.ticket, self.revision = draft, draft.ticket, draft.revision
        self.saving = False
        self.parked = False  # 返回 with its draft 暂存'd: the desk starts empty

    def compose(self) -> ComposeResult:
        yield Static(
            f"一件事受理：{self.bundle.name}（{len(self.items)}个事项）", id="bundle-title"
        )
        with VerticalScroll(id="bundle-body"):
            yield Label("申请人（放身份证自动填写）", classes="section")
            yield PersonFields("bundle-applicant")
            shared = shared_fields(self.bundle, self.items)
            if shared:
                yield Label("共同信息（各事项只填一次）", classes="section")
                yield SchemaForm(
                    {"type": "object", "properties": shared, "required": list(shared)},
                    id="shared-form",
                )
            yield Label("办理事项（不需要的取消勾选）", classes="section")
            for n, item in enumerate(self.items):
                yield MemberPanel(self.bundle, item, n)
            yield Label("材料（一套材料：共用材料只收一次、扫描一次；F10 扫描）", classes="section")
            yield MaterialsChecklist(self.shared.as_item(self.bundle), id="bundle-materials")
            yield Label("送达方式", classes="section")
            yield DeliveryChooser(
                all(i.case_type == "instant" for i in self.items), self._applicant_contact
            )
        yield Static("", id="bundle-error")
        with Horizontal(id="bundle-actions"):
            yield Button("受理 ^S", compact=True, id="bundle-accept", variant="success")
            yield Button("返回 Esc", compact=True, id="bundle-back")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(PersonFields).restore(self.base.applicant)
        if saved := self.base.bundle:
            if saved.shared_form and (shared := self.query("#shared-form")):
                shared.first(SchemaForm).fill(saved.shared_form)
            members = {m.item.code: m for m in self.query(MemberPanel)}
            for member in saved.members:
                if member.item_code in members:
                    members[member.item_code].restore(member)
            rows = {row.spec.code: row for row in self.query_one(MaterialsChecklist).rows}
            for material in self.base.materials:
                if material.code in rows:
                    rows[material.code].restore(material)
        self.query_one("#bundle-applicant-name", Input).focus()

    # --- the draft: nothing typed is lost ------------------------------------------------------

    @on(Input.Blurred)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    def save_draft(self) -> None:
        """Each field left, each choice made (and a lock): the 一件事 as it stands is kept."""
        if not self.saving:
            self.port.run(Desk.save_draft, self.draft(), group="draft")

    def on_screen_suspend(self) -> None:
        self.save_draft()

    def draft(self) -> Draft:
        self.revision += 1
        shared = self.query("#shared-form")
        bundle = DraftBundle(
            code=self.bundle.code,
            version=self.bundle.version,
            shared_form=shared.first(SchemaForm).raw() if shared else {},
            members=[m.draft() for m in self.query(MemberPanel)],
        )
        return self.base.model_copy(
            update={
                "revision": self.revision,
                "saved_at": now(),
                "applicant": self.query_one(PersonFields).typed(),
                "item_code": None,
                "item_version": None,
                "item_name": BUNDLE_MARK + self.bundle.name,
                "form": {},
                "materials": [row.draft() for row in self.query_one(MaterialsChecklist).rows],
                "bundle": bundle,
            }
        )

    def _applicant_contact(self) -> tuple[str, str]:
        return (
            self.query_one("#bundle-applicant-address", Input).value.strip(),
            self.query_one("#bundle-applicant-phone", Input).value.strip(),
        )

    # --- devices -------------------------------------------------------------------------------

    def card_read(self, card: IdCard) -> None:
        """A card placed on the reader (the app routes it here) fills the applicant."""
        self.query_one(PersonFields).fill(card)
        self.notify(f"已读取申请人证件：{card.name} {mask_id(card.id_number)}")

    def action_scan(self) -> None:
        row = self.query_one(MaterialsChecklist).focused_row()
        if row is None:
            return
        self.notify(f"正在扫描：{row.spec.name}")

        def scanned(result: tuple[str, int]) -> None:
            row.add_scan(*result)
            self.notify(f"{row.spec.name} 已扫描 {result[1]} 页（各事项共用）")

        self.port.run(Desk.scan, done=scanned)

    # --- the decision --------------------------------------------------------------------------

    def first_problem(self) -> FieldProblem | None:
        """The first thing to put right, in screen order, with the field it is in: the
        applicant, the shared fields, each member's own (or its refusal reason), the materials."""
        if found := self.query_one(PersonFields).first_problem("申请人"):
            return FieldProblem(*found)
        panels = list(self.query(MemberPanel))
        taken = [m for m in panels if m.included]
        if not taken:
            return FieldProblem("请至少选择一个要办理的事项", panels[0].query_one(".take"))
        forms = self.query("#shared-form")
        shared = forms.first(SchemaForm).values if forms else {}
        wrong: dict[str, str] = {}
        for member in taken:
            for name, message in member.problems(shared).items():
                if name in self.bundle.shared_fields:
                    wrong.setdefault(name, message)
        for field in self.query("#shared-form Input, #shared-form Select"):
            if field.name in wrong:
                return FieldProblem(wrong[str(field.name)], field)
        for member in taken:
            if problem := member.first_problem(shared):
                return problem
        return self._material_problem([m.item for m in taken if not m.refusing])

    def _material_problem(self, items: list[ServiceItem]) -> FieldProblem | None:
        """The first material a member being accepted requires that is unmarked or 未收."""
        required = {(i.code, m.code) for i in items for m in i.materials if m.required}
        for row in self.query_one(MaterialsChecklist).rows:
            if not required & set(self.shared.needs.get(row.spec.code, [])):
                continue
            if not row.marked:
                return unmarked_problem(row)
            if row.status == NOT_RECEIVED:
                message = f"缺少必需材料：{row.spec.name}，请出具一次性告知书或不予受理"
                return FieldProblem(message, row.query_one(Select))
        return None

    def entry(self) -> BundleIntake:
        """What was typed, read on the UI thread; `ValueError` names what is wrong."""
        shared = self.query("#shared-form")
        members = [m.entry() for m in self.query(MemberPanel) if m.included]
        return BundleIntake(
            bundle_code=self.bundle.code,
            bundle_version=self.bundle.version,
            applicant=self.query_one(PersonFields).person(),
            shared_form=shared.first(SchemaForm).values if shared else {},
            members=members,
            materials=self.query_one(MaterialsChecklist).materials(),
            delivery=self.query_one(DeliveryChooser).delivery(),
            ticket=self.ticket,
        )

    @on(Button.Pressed, "#bundle-accept")
    def action_accept(self) -> None:
        if self.saving:  # ^S pressed twice: one intake, one set of cases
            return
        try:
            if problem := self.first_problem():
                raise problem
            entry = self.entry()
        except ValueError as error:
            self._error(error)
            return
        self.saving = True

        def failed(error: BaseException) -> None:
            self.saving = False
            self._error(error)

        draft_id = self.base.draft_id
        self.port.run(Desk.accept_bundle, entry, draft_id, done=self.decided, failed=failed)

    def _error(self, error: BaseException) -> None:
        """The error on the line under the form (not a toast as well), the focus on its field."""
        from clerk.errors import explain

        self.query_one("#bundle-error", Static).update(explain(error))  # told once, here
        if isinstance(error, FieldProblem) and error.field is not None:
            error.field.focus()
            error.field.scroll_visible(animate=False)

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    def _changed(self) -> None:
        """Whatever the clerk changes, the last error may no longer hold: it goes."""
        self.query_one("#bundle-error", Static).update("")

    def decided(self, outcome: BundleOutcome) -> None:
        lines = [
            f"{c.payload.item.name}：{c.local_no} {CASE_STATUS_NAMES[c.status]}"
            + (f"，承诺{c.payload.promised_by:%m月%d日}" if c.payload.promised_by else "")
            for c in outcome.cases
        ]
        lines.append(f"{outcome.document.name}：{outcome.printed.message}")
        self.port.printed(outcome.printed, quiet=True)
        preview = to_text(outcome.document, self.port.paper.columns)
        title = f"{self.bundle.name}：{len(outcome.cases)}件已保存"
        self.app.push_screen(ResultDialog(title, lines, preview), lambda _: self.dismiss(outcome))

    @on(Button.Pressed, "#bundle-back")
    def action_back(self) -> None:
        """返回 (Esc): with nothing typed for the 一件事 the desk's intake is as it was; with
        work on it, asked first, like F1 or a logout: 暂存 the whole 一件事, or stay. A stray
        Esc must not lose what a power cut would keep."""
        if self.saving:
            return
        draft = self.draft()
        if not typed(draft) and draft.applicant == self.base.applicant:
            self.dismiss(None)
            return

        def chosen(choice: str | None) -> None:
            if choice == "park":
                self.park()

        text = "一件事录入尚未受理。暂存后可从“暂存的录入”（Ctrl+O）继续。"
        options = [("暂存并返回", "park")]
        dialog = ChoiceDialog("返回受理台？", options, text, "留在一件事", confirm=True)
        self.app.push_screen(dialog, chosen)

    def park(self) -> None:
        """暂存 the 一件事 as it stands (audited), then back to an empty desk."""
        self.saving, self.parked = True, True
        draft = self.draft()

        def parked(_: object) -> None:
            self.notify(f"已暂存：{draft.summary}")
            self.dismiss(None)

        def failed(error: BaseException) -> None:
            self.saving, self.parked = False, False
            self._error(error)

        self.port.run(Desk.park_draft, draft, done=parked, failed=failed)


def typed(draft: Draft) -> bool:
    """Anything typed or chosen for the 一件事 itself (its applicant is compared apart)."""
    bundle = draft.bundle
    assert bundle is not None
    members = any(
        not m.taken or m.refused or m.reason or m.refer_to or any(m.form.values())
        for m in bundle.members
    )
    marked = any(m.status for m in draft.materials)
    return members or marked or any(bundle.shared_form.values())


def open_bundle(desk_screen: Any, port: DeskPort, bundle: Bundle) -> None:
    """From the desk's item search: load the members in a worker, then the bundle intake."""

    def loaded(result: tuple[list[ServiceItem], SharedChecklist]) -> None:
        show_bundle(desk_screen, port, bundle, *result)

    port.run(Desk.bundle_form, bundle, done=loaded)


def show_bundle(
    desk_screen: Any,
    port: DeskPort,
    bundle: Bundle,
    items: list[ServiceItem],
    shared: SharedChecklist,
    resumed: Draft | None = None,
) -> None:
    """The bundle intake over the desk. It goes on from the desk's intake, whose draft it
    keeps while open (or from a resumed 一件事 draft); 返回 gives the draft back to the desk,
    受理 ends it with the cases, and then the citizen rates."""
    from clerk.desk.intake import IntakePanel

    panel = desk_screen.query_one(IntakePanel)
    session = port.session
    assert session is not None
    window_no, clerk_id = port.window.no, session.clerk.clerk_id
    lent = panel.lend(window_no, clerk_id)
    base = resumed or lent
    if base is None:  # nothing typed at the desk yet: a draft of its own
        base = Draft(
            draft_id=str(uuid4()),
            window_no=window_no,
            clerk_id=clerk_id,
            revision=0,
            saved_at=now(),
            ticket=panel.ticket,
        )
    screen = BundleIntakeScreen(port, bundle, items, shared, base)

    def after(outcome: BundleOutcome | None) -> None:
        if outcome is None and screen.parked:  # the whole 一件事 暂存'd, offered by Ctrl+O
            panel.clear()
            return
        if outcome is None:  # 返回: the desk's intake as it was, its draft again
            panel.take_back(screen.revision)
            if panel.draft_id == base.draft_id:
                desk_screen.save_draft()
            else:
                port.run(Desk.end_draft, base.draft_id, "draft.discard", group="draft")
            return
        panel.clear()  # the draft ended with the cases
        accepted = [c for c in outcome.cases if not c.refusal]
        if accepted:  # one rating by the citizen, for each case it made
            desk_screen.to_rate(accepted)

    desk_screen.app.push_screen(screen, after)
