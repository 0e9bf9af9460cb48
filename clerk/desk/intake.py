"""The intake area: applicant (from the card or by hand), agent, item, form and materials."""

from __future__ import annotations

import contextlib
from typing import Any
from uuid import uuid4

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from clerk.errors import explain
from devices.idcard.card import IdCard
from offline.bundles import BUNDLE_MARK
from offline.clock import now
from offline.identity import IdentityError, check_id, check_phone
from offline.intake import Intake, form_problems
from offline.models import CASE_TYPE_NAMES, Bundle, Draft, DraftPerson, Person, ServiceItem
from usererror import UserError
from widgets.delivery import DeliveryChooser
from widgets.materials import MaterialRow, MaterialsChecklist
from widgets.schema_form import SchemaForm


class FieldProblem(UserError, ValueError):
    """What is wrong with the intake, and the field to put it right in (focus goes there)."""

    def __init__(self, message: str, field: Widget | None = None) -> None:
        super().__init__(message)
        self.field = field


def unmarked_problem(row: MaterialRow) -> FieldProblem:
    """A required material not marked yet, with its mark to go to."""
    message = f"请逐项标记必需材料（已收取、电子证照、容缺或未收）：“{row.spec.name}”尚未标记"
    return FieldProblem(message, row.query_one(Select))


ID_TYPES = [
    ("居民身份证", "resident_id"),
    ("港澳台居民居住证", "hmt_permit"),
    ("外国人永久居留身份证", "foreign_permanent"),
    ("护照", "passport"),
    ("统一社会信用代码", "uscc"),
]


class ItemSearchInput(Input):
    """The item search: Enter takes the best match, Down goes into the list to pick another."""

    BINDINGS = [Binding("down", "down", show=False)]

    class Down(Message):
        """Down pressed in the search."""

    def action_down(self) -> None:
        self.post_message(self.Down())


class PersonFields(Vertical):
    """Name, ID type and number, phone, address of an applicant or agent."""

    DEFAULT_CSS = """
    PersonFields { height: auto; }
    PersonFields Horizontal { height: 1; margin-bottom: 1; }
    PersonFields Label { width: 10; padding: 0 1 0 0; text-align: right; }
    PersonFields Input { width: 1fr; }
    PersonFields .id-number { width: 21; }
    PersonFields Select { width: 22; }
    """

    def __init__(self, prefix: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.prefix = prefix
        self.chip: tuple[str, str] | None = None  # (ID type, number) the reader filled in

    def compose(self) -> ComposeResult:
        p = self.prefix
        with Horizontal():
            yield Label("姓名/名称")
            yield Input(compact=True, id=f"{p}-name")
            yield Select(
                ID_TYPES, compact=True, value="resident_id", allow_blank=False, id=f"{p}-id-type"
            )
        with Horizontal():
            yield Label("证件号码")
            yield Input(compact=True, id=f"{p}-id-number", max_length=20, classes="id-number")
            yield Label("电话", classes="short")
            yield Input(compact=True, id=f"{p}-phone", max_length=13)
        with Horizontal():
            yield Label("地址")
            yield Input(compact=True, id=f"{p}-address")

    def fill(self, card: IdCard) -> None:
        p = self.prefix
        self.query_one(f"#{p}-name", Input).value = card.name
        self.query_one(f"#{p}-id-type", Select).value = card.id_type
        self.query_one(f"#{p}-id-number", Input).value = card.id_number
        self.chip = (card.id_type, card.id_number)
        self.query_one(f"#{p}-address", Input).value = card.current_address  # 追加住址 first

    def from_chip(self, id_type: str, number: str) -> bool:
        """Whether the number is the one the card reader read (taken as the chip gives it)."""
        return self.chip == (id_type, number.strip())

    def person(self) -> Person:
        """The person as typed; pydantic checks the ID number (normalised: full-width digits
        typed by hand are fine), except a number the reader read, taken as given."""
        p = self.prefix
        value = lambda name: self.query_one(f"#{p}-{name}", Input).value.strip()  # noqa: E731
        id_type = str(self.query_one(f"#{p}-id-type", Select).value)
        data = {
            "kind": "org" if id_type == "uscc" else "person",
            "name": value("name"),
            "id_type": id_type,
            "id_number": value("id-number"),
            "phone": value("phone") or None,
            "address": value("address") or None,
        }
        chip = self.from_chip(id_type, value("id-number"))
        return Person.model_validate(data, context={"chip": chip})

    def clear(self) -> None:
        self.chip = None
        for field in self.query(Input):
            field.value = ""
        self.query_one(Select).value = "resident_id"

    def first_problem(self, who: str) -> tuple[str, Widget] | None:
        """The first field, in screen order, that is empty or wrong, with its message."""
        p = self.prefix
        name = self.query_one(f"#{p}-name", Input)
        number = self.query_one(f"#{p}-id-number", Input)
        phone = self.query_one(f"#{p}-phone", Input)
        id_type = self.query_one(f"#{p}-id-type", Select)
        if not name.value.strip():
            return f"请填写{who}姓名/名称", name
        if not number.value.strip():
            return f"请填写{who}证件号码", number
        try:
            check_id(str(id_type.value), number.value.strip())
        except IdentityError as error:
            return str(error), number
        try:
            if phone.value.strip():
                check_phone(phone.value.strip())
        except IdentityError as error:
            return str(error), phone
        try:
            self.person()
        except ValueError as error:  # what pydantic adds (the ID type against the kind)
            return explain(error), id_type
        return None

    def typed(self) -> DraftPerson:
        """The fields as typed, unchecked (for the draft)."""
        p = self.prefix
        value = lambda name: self.query_one(f"#{p}-{name}", Input).value  # noqa: E731
        return DraftPerson(
            name=value("name"),
            id_type=str(self.query_one(f"#{p}-id-type", Select).value),
            id_number=value("id-number"),
            phone=value("phone"),
            address=value("address"),
        )

    def restore(self, saved: DraftPerson) -> None:
        p = self.prefix
        for name in ("name", "id-number", "phone", "address"):
            self.query_one(f"#{p}-{name}", Input).value = getattr(saved, name.replace("-", "_"))
        with contextlib.suppress(Exception):  # an ID type no longer offered: keep the default
            self.query_one(f"#{p}-id-type", Select).value = saved.id_type


class IntakePanel(VerticalScroll):
    """Everything typed for one application; `intake()` turns it into an `Intake`."""

    DEFAULT_CSS = """
    IntakePanel { border: round $secondary; padding: 0 1; }
    IntakePanel .section { text-style: bold; color: $accent; margin-top: 1; }
    IntakePanel #item-results { height: auto; max-height: 8; display: none; }
    IntakePanel #item-results.found { display: block; }
    IntakePanel #item-chosen { color: $success; }
    IntakePanel #item-area, IntakePanel #agent { height: auto; }  /* scrolled, never clipped */
    IntakePanel #agent { display: none; }
    IntakePanel.with-agent #agent { display: block; }
    IntakePanel Input.-invalid { background: $error 35%; }
    IntakePanel { border-subtitle-color: $error; border-subtitle-style: bold; }
    """

    class ItemSearch(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class BundleChosen(Message):
        """A 一件事 was picked in the item search: the desk opens its own intake."""

        def __init__(self, bundle: Bundle) -> None:
            super().__init__()
            self.bundle = bundle

    class Changed(Message):
        """A field was left or a choice made: time to save the draft."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.draft_id: str | None = None  # the draft this intake is kept as
        self._revision = 0
        self.item: ServiceItem | None = None
        self._found: dict[str, ServiceItem | Bundle] = {}
        self._shown_for = ""  # the search text the list shows matches for
        self._pick_when_found = False
        self.current_ticket: str | None = None  # the hall's ticket at this window now
        self._draft_ticket: str | None = None  # the ticket this intake was started for
        self._lent = False  # its draft is kept by the 一件事 intake opened from it

    def compose(self) -> ComposeResult:
        yield Label("申请人（放身份证自动填写）", classes="section")
        yield PersonFields("applicant", id="applicant")
        yield Checkbox("代办（他人代为申请）", compact=True, id="has-agent")
        with Vertical(id="agent"):
            yield Label("代办人（代办时放代办人证件）", classes="section")
            yield PersonFields("agent")
        yield Label("事项（拼音首字母、拼音、汉字或编码）", classes="section")
        yield ItemSearchInput(compact=True, id="item-search", placeholder="如 ylbx")
        yield OptionList(id="item-results")
        yield Static("", id="item-chosen")
        yield Vertical(id="item-area")

    # --- the applicant and agent ---------------------------------------------------------------

    @on(Checkbox.Changed, "#has-agent")
    def agent_toggled(self, event: Checkbox.Changed) -> None:
        self.set_class(event.value, "with-agent")

    def fill_from_card(self, card: IdCard) -> str:
        """Fill the agent when 代办 is ticked and the applicant is filled, else the applicant."""
        applicant = self.query_one("#applicant", PersonFields)
        name = self.query_one("#applicant-name", Input).value.strip()
        if self.query_one("#has-agent", Checkbox).value and name:
            self.query_one("#agent", Vertical).query_one(PersonFields).fill(card)
            return "代办人"
        applicant.fill(card)
        if self.item is None:  # next, the item: the clerk types its initials straight away
            self.query_one("#item-search", Input).focus()
        return "申请人"

    # --- the item ------------------------------------------------------------------------------

    @on(Input.Changed, "#item-search")
    def search_changed(self, event: Input.Changed) -> None:
        self.post_message(self.ItemSearch(event.value))

    def show_items(
        self, text: str, items: list[ServiceItem], bundles: list[Bundle] | None = None
    ) -> None:
        if text != self.query_one("#item-search", Input).value:
            return  # the clerk typed on: a newer search is under way
        results = self.query_one("#item-results", OptionList)
        results.clear_options()
        bundles = bundles or []
        results.add_options([Option(f"{BUNDLE_MARK}{b.name}", id=b.code) for b in bundles])
        results.add_options(
            [Option(f"{i.name}  {CASE_TYPE_NAMES[i.case_type]}", id=i.code) for i in items]
        )
        self._found = {i.code: i for i in items} | {b.code: b for b in bundles}
        self._shown_for = text
        results.set_class(bool(items or bundles), "found")
        if items or bundles:
            results.highlighted = 0
        if self._pick_when_found:
            self.call_later(self.pick_highlighted)

    @on(Input.Submitted, "#item-search")
    async def pick_highlighted(self) -> None:
        """Enter takes the best match; typed faster than the search, it waits for it."""
        self._pick_when_found = self._shown_for != self.query_one("#item-search", Input).value
        results = self.query_one("#item-results", OptionList)
        if self._pick_when_found:
            return
        if not results.option_count:
            if self._shown_for.strip():  # Enter on a search that found nothing: say so
                self.notify("没有找到匹配的事项", severity="warning")
            return
        if results.highlighted is None:
            return
        option = results.get_option_at_index(results.highlighted)
        await self.choose(self._found[str(option.id)])

    @on(ItemSearchInput.Down)
    def into_results(self) -> None:
        results = self.query_one("#item-results", OptionList)
        if results.option_count:
            results.focus()

    @on(OptionList.OptionSelected, "#item-results")
    async def item_selected(self, event: OptionList.OptionSelected) -> None:
        item = self._found.get(str(event.option.id))
        if item:
            await self.choose(item)

    async def choose(self, item: ServiceItem | Bundle) -> None:
        if isinstance(item, Bundle):
            self.post_message(self.BundleChosen(item))
            return
        self.item = item
        limit = item.promised_limit
        days = f"，承诺{limit.count}个工作日" if limit else ""
        self.query_one("#item-chosen", Static).update(
            f"已选：{item.name}（{CASE_TYPE_NAMES[item.case_type]}{days}）"
        )
        results = self.query_one("#item-results", OptionList)
        results.clear_options()
        results.remove_class("found")
        area = self.query_one("#item-area", Vertical)
        await area.remove_children()
        widgets: list[Any] = []
        if item.form.get("properties"):
            widgets += [Label("表单（*为必填）", classes="section"), SchemaForm(item.form)]
        widgets += [
            Label("材料（*为必需；容缺仅限事项允许的材料；F10 扫描当前材料）", classes="section"),
            MaterialsChecklist(item),
            Label("送达方式", classes="section"),
            DeliveryChooser(item.case_type == "instant", self._contact),
        ]
        await area.mount_all(widgets)
        self._focus_first_field()
        self.post_message(self.Changed())

    def _contact(self) -> tuple[str, str]:
        """The applicant's address and phone, for 邮寄送达."""
        value = lambda name: self.query_one(f"#applicant-{name}", Input).value.strip()  # noqa: E731
        return value("address"), value("phone")

    def _focus_first_field(self) -> None:
        fields = self.query_one("#item-area").query("Input, Select")
        if fields:
            fields.first().focus()

    @property
    def checklist(self) -> MaterialsChecklist | None:
        found = self.query(MaterialsChecklist)
        return found.first() if found else None

    # --- checks as the clerk leaves each field ---------------------------------------------

    @on(Input.Blurred)
    def field_left(self, event: Input.Blurred) -> None:
        self._mark(event.input)
        if event.input.id != "item-search":
            self.post_message(self.Changed())

    @on(Select.Changed)
    @on(Checkbox.Changed)
    def choice_made(self) -> None:
        self.post_message(self.Changed())

    @on(Input.Changed)
    def field_changed(self, event: Input.Changed) -> None:
        if event.input.has_class("-invalid"):  # the mark goes as soon as it is put right
            self._mark(event.input)

    def _mark(self, field: Input) -> None:
        name = field.id or ""
        if not (name.endswith(("-id-number", "-phone")) or name.startswith("f-")):
            return
        problem = self.problem(field)
        field.set_class(bool(problem), "-invalid")
        self.border_subtitle = problem  # on the panel's frame: seen at 80 columns too

    def problem(self, field: Input) -> str:
        """The message for a filled-in field that is wrong; empty ones wait for 受理."""
        value, name = field.value.strip(), field.id or ""
        if not value:
            return ""
        try:
            if name.endswith("-id-number"):
                kind = self.query_one(f"#{name.removesuffix('-number')}-type", Select).value
                owner = next(a for a in field.ancestors if isinstance(a, PersonFields))
                if not owner.from_chip(str(kind), value):
                    check_id(str(kind), value)
            elif name.endswith("-phone"):
                check_phone(value)
        except IdentityError as error:
            return str(error)
        forms = self.query(SchemaForm)
        if self.item and forms and field.name and name.startswith("f-"):
            return form_problems(self.item, forms.first().values).get(field.name, "")
        return ""

    # --- the whole -----------------------------------------------------------------------------

    def intake(self, *, form: bool = True) -> Intake:
        """The intake for a decision; `FieldProblem` names the first field to put right, top
        to bottom, and which one it is. `form=False` for 不予受理: who and which item are
        needed, not a complete form (as the store and the platform ask of a refused case)."""
        if self.item is None:
            raise FieldProblem("请先选择事项", self.query_one("#item-search", Input))
        people = [self.query_one("#applicant", PersonFields)]
        if self.query_one("#has-agent", Checkbox).value:
            people.append(self.query_one("#agent", Vertical).query_one(PersonFields))
        for fields in people:
            self._check_person(fields)
        agent = people[1].person() if len(people) > 1 else None
        forms = self.query(SchemaForm)
        if form and forms and (problems := form_problems(self.item, forms.first().values)):
            name, message = next(iter(problems.items()))
            found = forms.first().query(f"#f-{name}") if name else None
            raise FieldProblem(message, found.first() if found else None)
        checklist = self.checklist
        delivery = self.query(DeliveryChooser)
        return Intake(
            item_code=self.item.code,
            item_version=self.item.version,
            applicant=self.query_one("#applicant", PersonFields).person(),
            agent=agent,
            form=forms.first().values if forms else {},
            materials=checklist.materials() if checklist else [],
            ticket=self.ticket,
            delivery=delivery.first().delivery() if delivery else None,
        )

    def _check_person(self, fields: PersonFields) -> None:
        who = "代办人" if fields.prefix == "agent" else "申请人"
        if found := fields.first_problem(who):
            message, field = found
            if isinstance(field, Input):
                self._mark(field)
            raise FieldProblem(message, field)

    def unmarked(self) -> FieldProblem | None:
        """受理 waits until each required material is marked: the first one, to go to."""
        row = self.checklist.first_unmarked() if self.checklist else None
        return unmarked_problem(row) if row else None

    # --- the draft: nothing typed is lost ------------------------------------------------------

    @property
    def ticket(self) -> str | None:
        """The citizen's ticket: the one current when this intake was started (a resumed
        draft keeps its own), else the one current now."""
        return self._draft_ticket if self.draft_id else self.current_ticket

    @property
    def is_empty(self) -> bool:
        """Nothing typed and no item chosen: nothing to keep."""
        people = [f.typed() for f in self.query(PersonFields)]
        return self.item is None and all(p.empty for p in people)

    def draft(self, window_no: int, clerk_id: str) -> Draft | None:
        """The intake as typed, as a new revision of its draft; None when there is nothing
        (or while the 一件事 intake opened from it keeps the draft)."""
        if self.is_empty or self._lent:
            return None
        if self.draft_id is None:
            self.draft_id, self._draft_ticket = str(uuid4()), self.current_ticket
        self._revision += 1
        agent = None
        if self.query_one("#has-agent", Checkbox).value:
            agent = self.query_one("#agent", Vertical).query_one(PersonFields).typed()
        forms, checklist = self.query(SchemaForm), self.checklist
        item = self.item
        return Draft(
            draft_id=self.draft_id,
            window_no=window_no,
            clerk_id=clerk_id,
            revision=self._revision,
            saved_at=now(),
            ticket=self.ticket,
            applicant=self.query_one("#applicant", PersonFields).typed(),
            agent=agent,
            item_code=item.code if item else None,
            item_version=item.version if item else None,
            item_name=item.name if item else "",
            form=forms.first().raw() if forms else {},
            materials=[row.draft() for row in checklist.rows] if checklist else [],
        )

    async def restore(self, draft: Draft, item: ServiceItem | None) -> None:
        """Put a draft back on screen, as it was left; it stays the same draft."""
        self.clear()
        self.query_one("#applicant", PersonFields).restore(draft.applicant)
        if draft.agent is not None:
            self.query_one("#has-agent", Checkbox).value = True
            self.query_one("#agent", Vertical).query_one(PersonFields).restore(draft.agent)
        if item is not None:
            await self.choose(item)
            forms = self.query(SchemaForm)
            if forms:
                forms.first().fill(draft.form)
            rows = {row.spec.code: row for row in self.checklist.rows} if self.checklist else {}
            for saved in draft.materials:
                if saved.code in rows:
                    rows[saved.code].restore(saved)
        self.draft_id, self._draft_ticket = draft.draft_id, draft.ticket
        self._revision = max(self._revision, draft.revision)

    def lend(self, window_no: int, clerk_id: str) -> Draft | None:
        """The draft, handed to the 一件事 intake opened from here: it saves it from now on."""
        draft = self.draft(window_no, clerk_id)
        self._lent = True
        return draft

    def take_back(self, revision: int) -> None:
        """Back from the 一件事 intake: the draft is this intake's again, newer than its saves."""
        self._lent = False
        self._revision = max(self._revision, revision)

    def clear(self) -> None:
        self.draft_id, self._lent = None, False
        for fields in self.query(PersonFields):
            fields.clear()
        self.query_one("#has-agent", Checkbox).value = False
        self.query_one("#item-search", Input).value = ""
        self.query_one("#item-chosen", Static).update("")
        self.query_one("#item-area", Vertical).remove_children()  # its fields go with it
        self.item = None
        self.border_subtitle = ""
        self.scroll_home(animate=False)
        self.query_one("#applicant-name", Input).focus()
