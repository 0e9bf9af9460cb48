"""What the window prints: each paper the data of one template (`clerk/papers/templates`).

The functions here gather what a paper says from the domain (a case, an item, a ticket) into
the template's variables; the texts themselves are in the templates, which a centre can
override. ID numbers are masked on paper (`3302**********1238`); the QR code carries the
case_id, which identifies the case to any window or the platform without personal data.
To add a line to a paper, add its value to the context here and the line to the template.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from clerk import config, papers
from devices.printer.document import Document
from offline.models import (
    CASE_TYPE_NAMES,
    MATERIAL_STATUS_NAMES,
    WINDOW_KIND_NAMES,
    Case,
    MaterialSpec,
    Operation,
    Person,
    ServiceItem,
    Ticket,
    TimeLimit,
)
from offline.privacy import mask_id, mask_phone
from offline.store import Store
from usererror import UserError

NO_VALUE = "无"  # what an empty value prints as ("—" is two columns and reads as a dash)
REVIEW_BODY_UNSET = "有权受理的行政复议机关"
COURT_UNSET = "有管辖权的人民法院"


@dataclass(frozen=True)
class Centre:
    """Who issues the paper: printed at the head and foot of every document, and where an
    applicant may seek review (行政复议) or sue (行政诉讼) against a refusal."""

    name: str
    phone: str
    window_no: int
    review_body: str = ""
    court: str = ""
    templates: Path | None = None  # the centre's own paper templates, if it has any

    @property
    def context(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "phone": self.phone,
            "window_no": self.window_no,
            "review_body": self.review_body or REVIEW_BODY_UNSET,
            "court": self.court or COURT_UNSET,
        }


def centre_of(home: Path, settings: config.Settings, window_no: int) -> Centre:
    """The centre as configured, with its own paper templates when it has them."""
    c = settings.centre
    return Centre(c.name, c.phone, window_no, c.review_body, c.court, papers.overrides_dir(home))


def _render(
    paper: str, centre: Centre, clerk_id: str, at: datetime, reprint: datetime | None, **data: Any
) -> Document:
    context = {
        "centre": centre.context,
        "clerk_id": clerk_id,
        "printed_at": f"{at:%Y-%m-%d %H:%M}",
        "reprint": reprint is not None,
        "reprinted_at": f"{reprint:%Y-%m-%d %H:%M}" if reprint else "",
        **data,
    }
    return papers.render(paper, context, centre.templates)


def _person(person: Person | None) -> dict[str, str] | None:
    if person is None:
        return None
    return {"name": person.name, "id_masked": mask_id(person.id_number)}


def _limit(limit: TimeLimit | None) -> str:
    if limit is None:
        return NO_VALUE
    if limit.count == 0:
        return "即办"
    return f"{limit.count}个{'工作日' if limit.unit == 'workday' else '自然日'}"


def _promised_by(case: Case) -> str:
    if case.payload.promised_by is None:
        return "即办" if case.payload.case_type == "instant" else NO_VALUE
    unverified = "" if case.deadline_verified else "（节假日安排未核验）"
    return f"{case.payload.promised_by:%Y年%m月%d日}前{unverified}"


def _fee(item: ServiceItem | None) -> str:
    if item is None or not item.fee:
        return "不收费"
    return item.fee


def delivery_text(case: Case) -> str:
    """送达方式 as chosen at intake: "结果将邮寄至…", "请于…后到任一窗口领取", 当场办结."""
    p = case.payload
    if p.delivery and p.delivery.method == "post":
        return f"结果将邮寄至：{p.delivery.address}（{mask_phone(p.delivery.phone)}）"
    if p.delivery and p.delivery.method == "on_the_spot":
        return "当场办结，结果已当场交付"
    if p.promised_by:
        return f"请于{p.promised_by:%Y年%m月%d日}后到任一窗口领取结果"
    return "请到任一窗口领取结果"


def _case(case: Case, item: ServiceItem | None) -> dict[str, Any]:
    """The variables every paper about a case has."""
    p = case.payload
    received = [m for m in p.materials if m.status != "missing_allowed"]
    return {
        "case": {
            "local_no": p.local_no,
            "official_no": case.official_no or "",
            "case_id": case.case_id,
            "type_name": CASE_TYPE_NAMES[p.case_type],
            "status_name": case.status_name,
        },
        "item": {
            "name": p.item.name,
            "code": p.item.code,
            "conditions": item.conditions if item else "",
            "basis": item.basis if item else "",
        },
        "applicant": _person(p.applicant),
        "agent": _person(p.agent),
        "received": [{"name": m.name, "state": MATERIAL_STATUS_NAMES[m.status]} for m in received],
        "missing": [
            {"name": m.name, "due": f"{m.due:%Y年%m月%d日}" if m.due else ""} for m in case.missing
        ],
        "limits": {
            "legal": _limit(item.legal_limit if item else None),
            "promised": _limit(item.promised_limit if item else None),
            "promised_by": _promised_by(case),
        },
        "fee": _fee(item),
        "handover": delivery_text(case),  # how the result reaches the citizen
    }


def queue_ticket(ticket: Ticket, centre: Centre, ahead: int) -> Document:
    context = {
        "centre": centre.context,
        "ticket": {
            "number": ticket.number,
            "kind_name": WINDOW_KIND_NAMES.get(ticket.kind, ticket.kind),
            "ahead": ahead,
            "issued_at": f"{ticket.issued_at:%Y-%m-%d %H:%M}",
        },
    }
    return papers.render("ticket", context, centre.templates)


def acceptance(
    case: Case, centre: Centre, item: ServiceItem | None = None, reprint: datetime | None = None
) -> Document:
    """受理回执: what was accepted, what is still missing (容缺), the legal and promised time
    limits, the fee, and the applicant's signature."""
    p = case.payload
    return _render("acceptance", centre, p.clerk_id, p.accepted_at, reprint, **_case(case, item))


def bundle_acceptance(
    cases: list[Case], centre: Centre, reprint: datetime | None = None
) -> Document:
    """一件事受理回执: every member with its number, decision, promised date and missing
    materials, how its result reaches the citizen, and one QR code for the group."""
    first = cases[0].payload
    assert first.bundle is not None
    members = [
        {
            "item": c.payload.item.name,
            "local_no": c.local_no,
            "status_name": c.status_name,
            "refusal": c.refusal.reason if c.refusal else "",
            "refer_to": c.refusal.refer_to or "" if c.refusal else "",
            "promised_by": _promised_by(c),
            "missing": [m.name for m in c.missing],
            "delivery": delivery_text(c),
            "posted": bool(c.payload.delivery and c.payload.delivery.method == "post"),
        }
        for c in cases
    ]
    bundle = {"name": first.bundle.name, "group_id": first.bundle.group_id}
    return _render(
        "bundle",
        centre,
        first.clerk_id,
        first.accepted_at,
        reprint,
        bundle=bundle,
        applicant=_person(first.applicant),
        agent=_person(first.agent),
        members=members,
    )


def correction_receipt(
    case: Case,
    centre: Centre,
    clerk_id: str,
    at: datetime,
    item: ServiceItem | None = None,
    reprint: datetime | None = None,
) -> Document:
    """补正回执: the materials after a 补正, and what is still missing."""
    return _render("correction", centre, clerk_id, at, reprint, **_case(case, item))


def material_text(spec: MaterialSpec) -> str:
    """How a material is asked for on paper: `户口簿（户主页及本人页），原件1份、复印件1份`,
    `近期二寸免冠彩色照片（白底），照片3张`; a form filled in at the window, `原件1份`."""
    parts = [
        f"原件{spec.original}份" if spec.original else "",
        f"复印件{spec.copies}份" if spec.copies else "",
        f"照片{spec.photos}张" if spec.photos else "",
    ]
    counted = "、".join(p for p in parts if p)
    note = f"（{spec.note}）" if spec.note else ""
    return spec.name + note + (f"，{counted}" if counted else "")


def one_time_notice(
    item: ServiceItem,
    missing: list[MaterialSpec],
    centre: Centre,
    applicant: str,
    clerk_id: str,
    at: datetime,
    deadline: date | None = None,
    number: str = "",
    reprint: datetime | None = None,
) -> Document:
    """一次性告知书: everything still needed for this item, at once and in writing, with its
    number, the legal basis and the applicant's signature."""
    return _render(
        "notice",
        centre,
        clerk_id,
        at,
        reprint,
        notice={
            "number": number or NO_VALUE,
            "deadline": f"{deadline:%Y年%m月%d日}" if deadline else "",
        },
        applicant={"name": applicant},
        item={"name": item.name, "conditions": item.conditions, "basis": item.basis},
        missing=[{"name": m.name, "text": material_text(m)} for m in missing],
    )


def refusal_notice(
    case: Case, centre: Centre, item: ServiceItem | None = None, reprint: datetime | None = None
) -> Document:
    """不予受理通知书: the reason, where to go instead, and the applicant's rights: 行政复议
    within 60 days to the body the centre names, 行政诉讼 within 6 months."""
    assert case.refusal is not None
    p = case.payload
    refusal = {"reason": case.refusal.reason, "refer_to": case.refusal.refer_to or ""}
    return _render(
        "refusal", centre, p.clerk_id, p.accepted_at, reprint, refusal=refusal, **_case(case, item)
    )


def delivery_receipt(
    case: Case,
    centre: Centre,
    receiver: str,
    receiver_id: str,
    method: str,
    clerk_id: str,
    at: datetime,
    tracking_no: str | None = None,
    reprint: datetime | None = None,
) -> Document:
    """出件回执: who received the result, how and when."""
    how = {"pickup": "窗口领取", "post": "邮寄送达"}.get(method, method)
    return _render(
        "delivery",
        centre,
        clerk_id,
        at,
        reprint,
        delivery={
            "receiver": receiver,
            "receiver_id_masked": mask_id(receiver_id),
            "method": how,
            "tracking_no": tracking_no or "",
        },
        **_case(case, None),
    )


DOCS = ("受理回执", "一次性告知书", "不予受理通知书", "补正回执", "出件回执")


def default_doc(case: Case) -> str:
    """The paper a case last printed, by its status."""
    if case.status == "refused":
        return "不予受理通知书"
    return "出件回执" if case.status in ("delivered", "closed") else "受理回执"


def again(
    store: Store,
    case: Case,
    doc: str,
    centre: Centre,
    at: datetime,
    notice_no: str = "",
) -> Document:
    """A case's paper printed again (补打), marked so, from what the store recorded: the
    case, its catalog item, and the 补正 and 出件 operations for those receipts."""
    item = store.item(case.payload.item.code, case.payload.item.version)
    ops = store.operations(case.case_id)

    def last(kind: str) -> Operation:
        found = [op for op in ops if op.type == kind]
        if not found:
            raise ReprintError(f"办件 {case.local_no} 没有{doc}可补打")
        return found[-1]

    if doc == "受理回执":
        if case.status == "refused":
            raise ReprintError(f"办件 {case.local_no} 未受理，没有受理回执")
        return acceptance(case, centre, item, at)
    if doc == "不予受理通知书":
        if case.refusal is None:
            raise ReprintError(f"办件 {case.local_no} 已受理，没有不予受理通知书")
        return refusal_notice(case, centre, item, at)
    if doc == "补正回执":
        op = last("case.correction_received")
        return correction_receipt(case, centre, op.clerk_id, op.at, item, at)
    if doc == "出件回执":
        op = last("case.deliver")
        p = op.payload
        return delivery_receipt(
            case,
            centre,
            p["receiver_name"],
            p["receiver_id_number"],
            p["method"],
            op.clerk_id,
            op.at,
            p.get("tracking_no"),
            at,
        )
    if doc == "一次性告知书":
        if item is None or not case.missing:
            raise ReprintError(f"办件 {case.local_no} 没有待补交的材料")
        codes = {m.code for m in case.missing}
        missing = [m for m in item.materials if m.code in codes]
        cp = case.payload
        return one_time_notice(
            item,
            missing,
            centre,
            cp.applicant.name,
            cp.clerk_id,
            cp.accepted_at,
            None,
            notice_no,
            at,
        )
    raise ReprintError(f"没有这种单据：{doc}（可选：{'、'.join(DOCS)}）")


class ReprintError(UserError, ValueError):
    """A paper a case does not have; `str()` says so in Chinese."""
