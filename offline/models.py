"""The vocabulary every layer speaks: pydantic v2 records, shaped as in `platform-api.md`.

The store converts rows to these models at its boundary; the TUI, the CLI, the devices'
document builders and the sync engine all see these and nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from offline import text
from offline.identity import check_id, check_phone, from_chip

# --- Closed vocabularies (wire values; Chinese labels for the clerk) -------------------------

WindowKind = str  # social_security, civil_affairs, general + X kinds; open for the platform
WINDOW_KIND_NAMES = {
    "social_security": "社会保障",
    "civil_affairs": "民生事务",
    "general": "综合服务",
    "business": "商事登记",
    "construction_land": "城建国土",
    "agriculture": "农林渔牧",
}

CaseType = Literal["instant", "promised"]
CASE_TYPE_NAMES = {"instant": "即办件", "promised": "承诺件"}

IdType = Literal["resident_id", "hmt_permit", "foreign_permanent", "passport", "uscc"]
MaterialStatus = Literal["received", "electronic", "missing_allowed", "waived"]
MATERIAL_STATUS_NAMES = {
    "received": "已收取",
    "electronic": "电子证照",
    "missing_allowed": "容缺",
    "waived": "免提交",
}

CaseStatus = Literal[
    # decided at the window
    "accepted",
    "accepted_missing",
    "refused",
    "withdrawn",
    # decided by the back office, arriving through /changes
    "in_review",
    "correction_requested",
    "suspended",
    "approved",
    "denied",
    "ready_for_pickup",
    "delivered",
    "closed",
]
CASE_STATUS_NAMES = {
    "accepted": "已受理",
    "accepted_missing": "容缺受理",
    "refused": "不予受理",
    "withdrawn": "已撤回",
    "in_review": "审查中",
    "correction_requested": "补正告知",
    "suspended": "特别程序",
    "approved": "办结",
    "denied": "不予许可",
    "ready_for_pickup": "待出件",
    "delivered": "已出件",
    "closed": "已归档",
}

OpType = Literal[
    "case.accept",
    "case.reject",
    "case.correction_notice",
    "case.correction_received",
    "case.deliver",
    "case.withdraw",
    "case.note",
    "evaluation.create",
]
OpState = Literal["pending", "in_flight", "acked", "quarantined"]

EvaluationLevel = Literal[
    "very_satisfied", "satisfied", "basically_satisfied", "dissatisfied", "very_dissatisfied"
]
EVALUATION_LEVEL_NAMES = {
    "very_satisfied": "非常满意",
    "satisfied": "满意",
    "basically_satisfied": "基本满意",
    "dissatisfied": "不满意",
    "very_dissatisfied": "非常不满意",
}
Role = Literal["clerk", "admin"]
ROLE_NAMES = {"clerk": "窗口人员", "admin": "管理员"}

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


SQLITE_INT = 2**63 - 1  # the largest integer a SQLite column holds


class Record(BaseModel):
    """Base of every record: unknown fields are refused, so typos surface at once, and no
    text field holds a control or format character (`offline.text`), whoever filled it in:
    the clerk, the card reader, an import file or the platform. A line break is allowed only
    in the fields a subclass names in `MULTILINE`."""

    model_config = ConfigDict(extra="forbid", defer_build=True)
    MULTILINE: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="after")
    @classmethod
    def _clean_text(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, (str, list, dict)):
            text.check(value, info.field_name in cls.MULTILINE)
        return value


# --- Catalog ---------------------------------------------------------------------------------


class TimeLimit(Record):
    unit: Literal["workday", "day"]
    count: int = Field(ge=0, le=3650)


class MaterialSpec(Record):
    """One material an item asks for (申请材料)."""

    MULTILINE = frozenset({"note"})

    code: str = Field(min_length=1, max_length=20)
    name: str = Field(min_length=1, max_length=200)
    required: bool = True
    original: int = Field(0, ge=0, description="原件份数 (shown and checked, not kept)")
    copies: int = Field(0, ge=0, description="复印件份数")
    photos: int = Field(0, ge=0, description="照片张数（规格、底色写在名称或备注里）")
    note: str = ""


MISSING_WITHIN_DEFAULT = 5  # working days to bring a 容缺 material, when the item says nothing


class ServiceItem(Record):
    """A service item (事项) of the catalog, exactly as `GET /catalog` sends it."""

    MULTILINE = frozenset({"conditions", "basis", "form"})

    code: str = Field(min_length=1, max_length=50)
    version: int = Field(ge=1)
    name: str = Field(min_length=1, max_length=200)
    category: WindowKind
    window_kinds: list[WindowKind] = Field(min_length=1)
    case_type: CaseType
    legal_limit: TimeLimit | None = None
    promised_limit: TimeLimit | None = None
    fee: str | None = None
    allow_missing: list[str] = []
    # by when a material accepted as missing (容缺) must be brought, counted from acceptance
    missing_within: TimeLimit = Field(
        default_factory=lambda: TimeLimit(unit="workday", count=MISSING_WITHIN_DEFAULT)
    )
    form: dict[str, Any] = {"type": "object", "properties": {}}
    materials: list[MaterialSpec] = []
    conditions: str = ""
    basis: str = ""
    phone: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        codes = [m.code for m in self.materials]
        if len(set(codes)) != len(codes):
            raise ValueError(f"{self.code}: duplicate material codes")
        unknown = set(self.allow_missing) - set(codes)
        if unknown:
            raise ValueError(f"{self.code}: allow_missing names unknown materials {unknown}")
        if self.case_type == "promised" and self.promised_limit is None:
            raise ValueError(f"{self.code}: a promised item needs a promised_limit")
        legal, promised = self.legal_limit, self.promised_limit
        if legal and promised and legal.unit == promised.unit and promised.count > legal.count:
            raise ValueError(f"{self.code}: promised limit exceeds the legal limit")
        if self.form.get("type") != "object":
            raise ValueError(f"{self.code}: the form schema must describe an object")
        return self

    def material(self, code: str) -> MaterialSpec:
        return next(m for m in self.materials if m.code == code)


class BundleMember(Record):
    code: str = Field(min_length=1, max_length=50)
    version: int = Field(ge=1)


class Bundle(Record):
    """一件事: several items a citizen needs for one thing in life, taken in one intake
    (`bundles` of `GET /catalog`, platform-api.md 1.1)."""

    code: str = Field(min_length=1, max_length=50)
    version: int = Field(ge=1)
    name: str = Field(min_length=1, max_length=200)
    items: list[BundleMember] = Field(min_length=2)
    shared_fields: list[str] = []
    window_kinds: list[WindowKind] = []


class Catalog(Record):
    version: str
    items: list[ServiceItem]
    bundles: list[Bundle] = []


class CalendarDay(Record):
    date: date
    workday: bool
    name: str = ""


class CalendarYear(Record):
    """A year of the working-day calendar: only the exceptions to Monday-Friday."""

    year: int
    version: str
    days: list[CalendarDay]


# --- Cases -----------------------------------------------------------------------------------


PURGED = "已清除"  # what is shown of a name or ID number after the retention period


class Person(Record):
    """An applicant or agent. `id_number` is checked against its type's rule, except in a
    case whose personal data retention removed: that is a flag of the case (`Case.purged`,
    passed down as the validation context `{"purged": True}`), never a magic value here.
    A number the card reader read is taken as the chip gives it (context `{"chip": True}`):
    a rule it fails is logged, not refused; a stored case loads without the checks
    (`{"stored": True}`) since it was checked when it came in."""

    kind: Literal["person", "org"] = "person"
    name: str = Field(min_length=1, max_length=100)
    id_type: IdType
    id_number: str
    phone: str | None = None
    address: str | None = Field(None, max_length=200)

    @model_validator(mode="after")
    def _check_identity(self, info: ValidationInfo) -> Self:
        if info.context and (info.context.get("purged") or info.context.get("stored")):
            return self  # checked on the way in; a stored case always loads
        if (self.kind == "org") != (self.id_type == "uscc"):
            raise ValueError("单位申请人须使用统一社会信用代码，个人不能使用")
        if info.context and info.context.get("chip"):  # read by the card reader: as given
            self.id_number = from_chip(self.id_type, self.id_number)
        else:
            self.id_number = check_id(self.id_type, self.id_number)
        if self.phone:
            self.phone = check_phone(self.phone)
        return self


class ItemRef(Record):
    code: str
    version: int
    name: str


class CaseMaterial(Record):
    """A material as received at the window."""

    code: str
    name: str
    status: MaterialStatus
    original_checked: bool = False
    copies: int = Field(0, ge=0)
    attachments: list[str] = []
    due: date | None = None  # 容缺: to be brought by this day (the item's `missing_within`)

    @field_validator("attachments")
    @classmethod
    def _sha256(cls, values: list[str]) -> list[str]:
        for value in values:
            if not _SHA256.match(value):
                raise ValueError(f"not a lowercase sha256: {value!r}")
        return values


class DeadlineRule(Record):
    unit: Literal["workday", "day"]
    count: int
    calendar_version: str


DeliveryMethod = Literal["pickup", "post", "on_the_spot"]
DELIVERY_METHOD_NAMES = {"pickup": "窗口自取", "post": "邮寄送达", "on_the_spot": "当场办结"}


class Delivery(Record):
    """送达方式, chosen at intake: 邮寄 needs the address and a phone for the courier."""

    method: DeliveryMethod = "pickup"
    address: str | None = Field(None, max_length=200)
    phone: str | None = None

    @model_validator(mode="after")
    def _post_needs_address(self) -> Self:
        if self.method == "post":
            if not (self.address or "").strip():
                raise ValueError("邮寄送达须填写邮寄地址")
            if not (self.phone or "").strip():
                raise ValueError("邮寄送达须填写联系电话")
        if self.phone:
            self.phone = check_phone(self.phone)
        return self


class BundleLink(Record):
    """The 一件事 a case was accepted in: its members' case numbers share one `group_id`."""

    code: str
    name: str
    group_id: str
    members: list[str]


class CasePayload(Record):
    """The case as the platform receives it in `case.accept` / `case.reject`."""

    MULTILINE = frozenset({"form"})

    local_no: str
    centre_code: str
    item: ItemRef
    case_type: CaseType
    applicant: Person
    agent: Person | None = None
    form: dict[str, Any] = {}
    materials: list[CaseMaterial] = []
    accepted_at: datetime
    promised_by: date | None = None
    deadline_rule: DeadlineRule | None = None
    ticket: str | None = None
    clerk_id: str
    window_no: int
    delivery: Delivery | None = None  # 1.1; None: 窗口自取, as before 1.1
    bundle: BundleLink | None = None  # 1.1

    @field_validator("accepted_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("accepted_at needs a UTC offset")
        return value


class Refusal(Record):
    """Why a case was not accepted (不予受理) and where the citizen should go instead."""

    MULTILINE = frozenset({"reason"})

    reason: str = Field(min_length=1)
    refer_to: str | None = None


class Case(Record):
    """A case (办件) as the window holds it: the accepted payload plus local state."""

    case_id: str
    status: CaseStatus
    payload: CasePayload
    refusal: Refusal | None = None
    official_no: str | None = Field(None, max_length=50)
    server_version: int | None = Field(None, ge=0, le=SQLITE_INT)
    deadline_verified: bool = True
    flagged: str | None = None
    source_ref: str | None = Field(None, max_length=200)
    purged: bool = False  # retention removed its personal data (offline.retention)
    updated_at: datetime

    @property
    def local_no(self) -> str:
        return self.payload.local_no

    @property
    def status_name(self) -> str:
        return CASE_STATUS_NAMES[self.status]

    @property
    def missing(self) -> list[CaseMaterial]:
        return [m for m in self.payload.materials if m.status == "missing_allowed"]


class Operation(Record):
    """One change to one case, in the outbox until the platform acknowledges it."""

    MULTILINE = frozenset({"payload"})

    op_id: str
    case_id: str
    seq: int = Field(ge=1)
    type: OpType
    at: datetime
    clerk_id: str
    window_no: int
    payload: dict[str, Any]
    state: OpState = "pending"
    attempts: int = 0
    last_error: str | None = None


class CaseState(Record):
    """What `clerk sync verify` compares for one case: the platform's view against ours."""

    case_id: str
    status: str  # the platform's vocabulary may grow: compared, not interpreted
    official_no: str | None = None
    local_no: str | None = None  # for the admin's report; the platform does not send it


@dataclass(frozen=True, slots=True)
class CaseLine:
    """One line of a case list: the columns a list shows, read from their own indexed
    columns. Building a full `Case` (its payload parsed and validated) for each of 200 lines
    cost eight times the SQL; open the case itself with `Store.case` when it is chosen."""

    case_id: str
    local_no: str
    item_name: str
    applicant_name: str
    applicant_id_number: str
    status: CaseStatus
    accepted_at: str
    promised_by: date | None
    flagged: str | None


class CaseQuery(Record):
    """Filters of a case search; every field narrows the result."""

    text: str | None = None  # local number, official number, ID number or name prefix
    status: list[CaseStatus] = []
    accepted_from: date | None = None
    accepted_to: date | None = None
    limit: int = Field(50, ge=1, le=1000)


# --- Hall, people, evaluations, audit --------------------------------------------------------


class Window(Record):
    no: int = Field(ge=1, le=99)
    kinds: list[WindowKind]
    name: str = ""


class Ticket(Record):
    """A queue number (排队号) such as C001; the state machine lives in the hall queue."""

    number: str
    kind: WindowKind
    state: Literal[
        "issued", "called", "serving", "finished", "no_show", "parked", "transferred", "cancelled"
    ] = "issued"
    green_channel: bool = False
    issued_at: datetime
    window_no: int | None = None


class Clerk(Record):
    """A member of staff. The PIN hash never leaves the store."""

    clerk_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,20}$")
    name: str = Field(min_length=1, max_length=50)
    role: Role = "clerk"
    disabled: bool = False
    locked_until: datetime | None = None


class Evaluation(Record):
    """好差评: one per case at the window; levels travel as names, never numbers."""

    MULTILINE = frozenset({"comment"})

    evaluation_id: str
    case_id: str
    level: EvaluationLevel | None  # None: the citizen left without rating (未评价)
    channel: Literal["window_device", "window_keypad", "qr"]
    attempt: Literal[1, 2] = 1
    comment: str = ""
    clerk_id: str
    window_no: int
    at: datetime


class AuditEvent(Record):
    """One line of the hash-chained audit log: who, at which window, did what, when."""

    MULTILINE = frozenset({"detail"})

    id: int
    at: datetime
    clerk_id: str
    window_no: int | None
    action: str
    target: str = ""
    detail: dict[str, Any] = {}
    prev_hash: str
    hash: str


# --- Intake drafts (offline.drafts) -----------------------------------------------------


class DraftPerson(Record):
    """An applicant or agent as typed, unchecked."""

    name: str = ""
    id_type: str = "resident_id"
    id_number: str = ""
    phone: str = ""
    address: str = ""

    @property
    def empty(self) -> bool:
        return not (self.name or self.id_number or self.phone or self.address)


class DraftMaterial(Record):
    """One checklist row as marked; `status` None while the clerk has not marked it."""

    code: str
    status: str | None = None
    original: bool = False
    copies: str = ""
    attachments: list[str] = Field(default_factory=list)
    pages: int = 0


class DraftMember(Record):
    """One member of a 一件事 draft as marked: taken or left out, refused with a reason."""

    item_code: str
    taken: bool = True
    refused: bool = False
    reason: str = ""
    refer_to: str = ""
    form: dict[str, Any] = Field(default_factory=dict)


class DraftBundle(Record):
    """A 一件事 intake in progress: the shared fields once, each member's own."""

    code: str
    version: int
    shared_form: dict[str, Any] = Field(default_factory=dict)
    members: list[DraftMember] = Field(default_factory=list)


class Draft(Record):
    draft_id: str
    window_no: int
    clerk_id: str
    revision: int = Field(ge=0, description="newer saves win over late older ones")
    saved_at: datetime
    ticket: str | None = None
    applicant: DraftPerson = Field(default_factory=DraftPerson)
    agent: DraftPerson | None = None
    item_code: str | None = None
    item_version: int | None = None
    item_name: str = ""
    form: dict[str, Any] = Field(default_factory=dict)
    materials: list[DraftMaterial] = Field(default_factory=list)
    bundle: DraftBundle | None = None  # a 一件事 (then no item_code; `materials` are its set)

    @property
    def summary(self) -> str:
        """One line for the clerk: ticket, applicant, item, when."""
        parts = [
            self.ticket or "无号",
            self.applicant.name or "（未填姓名）",
            self.item_name or "（未选事项）",
            f"{self.saved_at:%m-%d %H:%M}",
        ]
        return "  ".join(parts)


# --- Changes from the platform (`GET /changes`) ------------------------------------------------


class Change(Record):
    """A change as the platform sends it. Members a later platform adds are ignored (the
    contract's 1.1 rule), but every member this client uses is checked before it touches the
    store: the status is one the window knows, numbers fit SQLite, text is clean."""

    model_config = ConfigDict(extra="ignore")


class StatusChange(Change):
    MULTILINE = frozenset({"note"})

    kind: Literal["case.status"]
    case_id: str = Field(min_length=1, max_length=64)
    server_version: int = Field(ge=1, le=SQLITE_INT)
    status: CaseStatus
    official_no: str | None = Field(None, min_length=1, max_length=50)
    at: datetime | None = None
    note: str = Field("", max_length=2000)
    missing: list[str] = []
    deadline: date | None = None


class SnapshotChange(Change):
    """A case accepted at another window of the centre; `case` is checked as a `CasePayload`
    (with a refusal's `reason` and `refer_to` beside it for a `case.reject`)."""

    kind: Literal["case.snapshot"]
    case_id: str = Field(min_length=1, max_length=64)
    server_version: int = Field(ge=1, le=SQLITE_INT)
    status: CaseStatus
    official_no: str | None = Field(None, min_length=1, max_length=50)
    case: CasePayload
    refusal: Refusal | None = None
    device_seq: int | None = Field(None, ge=0, le=SQLITE_INT)  # own=full: the last seq held

    @model_validator(mode="before")
    @classmethod
    def _split_refusal(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("case"), dict):
            case = dict(data["case"])
            refusal = {k: case.pop(k) for k in ("reason", "refer_to") if k in case}
            data = {**data, "case": case, "refusal": refusal or None}
        return data


class ItemChange(Change):
    kind: Literal["catalog.item"]
    item: ServiceItem


class ItemRetiredChange(Change):
    kind: Literal["catalog.item_retired"]
    code: str = Field(min_length=1, max_length=50)
    version: int = Field(ge=1, le=SQLITE_INT)


class BundleChange(Change):
    kind: Literal["catalog.bundle"]
    bundle: Bundle


class BundleRetiredChange(Change):
    kind: Literal["catalog.bundle_retired"]
    code: str = Field(min_length=1, max_length=50)
    version: int = Field(ge=1, le=SQLITE_INT)


class CalendarChange(Change):
    kind: Literal["calendar.year"]
    year: int = Field(ge=1900, le=2200)
    version: str = Field(min_length=1, max_length=50)
    days: list[CalendarDay]


class FollowupChange(Change):
    MULTILINE = frozenset({"text"})

    kind: Literal["evaluation.followup"]
    evaluation_id: str = Field(min_length=1, max_length=64)
    text: str = Field(max_length=2000)
    at: datetime | None = None


AnyChange = Annotated[
    StatusChange
    | SnapshotChange
    | ItemChange
    | ItemRetiredChange
    | BundleChange
    | BundleRetiredChange
    | CalendarChange
    | FollowupChange,
    Field(discriminator="kind"),
]
CHANGE_KINDS = frozenset(
    {
        "case.status",
        "case.snapshot",
        "catalog.item",
        "catalog.item_retired",
        "catalog.bundle",
        "catalog.bundle_retired",
        "calendar.year",
        "evaluation.followup",
    }
)
