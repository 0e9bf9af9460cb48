"""What the window prints: each document a function from domain data to a `Document`.

ID numbers are masked on paper (`3302**********1238`); the QR code carries the case_id, which
identifies the case to any window or the platform without personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from devices.printer.document import QR, Columns, Document, Element, Feed, Field, Line, Rule
from offline.models import (
    CASE_TYPE_NAMES,
    MATERIAL_STATUS_NAMES,
    WINDOW_KIND_NAMES,
    Case,
    MaterialSpec,
    ServiceItem,
    Ticket,
)
from offline.privacy import mask_id


@dataclass(frozen=True)
class Centre:
    """Who issues the paper: printed at the head and foot of every document."""

    name: str
    phone: str
    window_no: int


def _head(centre: Centre, title: str) -> tuple[Element, ...]:
    return (Line(centre.name, "center"), Line(title, "center", bold=True, big=True), Rule())


def _foot(centre: Centre, clerk_id: str, at: datetime) -> tuple[Element, ...]:
    return (
        Rule(),
        Field("经办人工号", f"{clerk_id}（{centre.window_no}号窗口）"),
        Field("咨询电话", centre.phone),
        Field("时间", f"{at:%Y-%m-%d %H:%M}"),
        Feed(2),
    )


def _applicant(case: Case) -> tuple[Element, ...]:
    person = case.payload.applicant
    rows = [Field("申请人", person.name), Field("证件号码", mask_id(person.id_number))]
    if case.payload.agent:
        rows.append(
            Field("代办人", f"{case.payload.agent.name} {mask_id(case.payload.agent.id_number)}")
        )
    return tuple(rows)


def _promised(case: Case) -> str:
    if case.payload.promised_by is None:
        return "即办" if case.payload.case_type == "instant" else "—"
    unverified = "" if case.deadline_verified else "（节假日安排未核验）"
    return f"{case.payload.promised_by:%Y年%m月%d日}前{unverified}"


def queue_ticket(ticket: Ticket, centre: Centre, ahead: int) -> Document:
    return Document(
        "排队号",
        (
            Line(centre.name, "center"),
            Line(ticket.number, "center", bold=True, big=True),
            Line(WINDOW_KIND_NAMES.get(ticket.kind, ticket.kind) + "业务", "center"),
            Line(f"前面还有 {ahead} 人", "center"),
            Line(f"{ticket.issued_at:%Y-%m-%d %H:%M}", "center"),
            Line("过号请重新取号", "center"),
            Feed(2),
        ),
    )


def acceptance(case: Case, centre: Centre) -> Document:
    """受理回执: what was accepted, what is still missing (容缺), and when it will be done."""
    p = case.payload
    received = [m for m in p.materials if m.status != "missing_allowed"]
    materials = tuple(Columns(f"{m.name}", MATERIAL_STATUS_NAMES[m.status]) for m in received)
    missing: tuple[Element, ...] = tuple(Columns(m.name, "容缺，待补交") for m in case.missing)
    if missing:
        missing = (Line("容缺材料：", bold=True), *missing)
    return Document(
        "受理回执",
        (
            *_head(centre, "受理回执"),
            Field("办件编号", p.local_no),
            Field("事项", p.item.name),
            Field("办件类型", CASE_TYPE_NAMES[p.case_type]),
            *_applicant(case),
            Line("已收材料：", bold=True),
            *materials,
            *missing,
            Field("承诺办结", _promised(case)),
            QR(case.case_id),
            Line("凭此回执查询办理进度、领取结果", "center"),
            *_foot(centre, p.clerk_id, p.accepted_at),
        ),
    )


def one_time_notice(
    item: ServiceItem,
    missing: list[MaterialSpec],
    centre: Centre,
    applicant: str,
    clerk_id: str,
    at: datetime,
    deadline: date | None = None,
) -> Document:
    """一次性告知书: everything still needed for this item, at once and in writing."""
    needed = tuple(
        Line(f"{n}. {m.name}" + (f"（{m.note}）" if m.note else "") + _copies(m))
        for n, m in enumerate(missing, start=1)
    )
    return Document(
        "一次性告知书",
        (
            *_head(centre, "一次性告知书"),
            Field("申请人", applicant),
            Field("事项", item.name),
            Line("您申请的事项还需提交以下材料：", bold=True),
            *needed,
            *((Field("请于", f"{deadline:%Y年%m月%d日}前补齐"),) if deadline else ()),
            Field("受理条件", item.conditions),
            *_foot(centre, clerk_id, at),
        ),
    )


def _copies(spec: MaterialSpec) -> str:
    parts = [
        f"原件{spec.original}份" if spec.original else "",
        f"复印件{spec.copies}份" if spec.copies else "",
    ]
    return "，" + "、".join(p for p in parts if p) if any(parts) else ""


def refusal_notice(case: Case, centre: Centre) -> Document:
    """不予受理通知书: the reason, and where to go instead."""
    assert case.refusal is not None
    p = case.payload
    return Document(
        "不予受理通知书",
        (
            *_head(centre, "不予受理通知书"),
            Field("编号", p.local_no),
            Field("申请人", p.applicant.name),
            Field("事项", p.item.name),
            Field("不予受理理由", case.refusal.reason),
            Field("建议前往", case.refusal.refer_to or "—"),
            Line("如对本决定不服，可依法申请行政复议或提起行政诉讼。"),
            *_foot(centre, p.clerk_id, p.accepted_at),
        ),
    )


def delivery_receipt(
    case: Case,
    centre: Centre,
    receiver: str,
    receiver_id: str,
    method: str,
    clerk_id: str,
    at: datetime,
) -> Document:
    """出件回执: who received the result, how and when."""
    how = {"pickup": "窗口领取", "post": "邮寄送达"}.get(method, method)
    return Document(
        "出件回执",
        (
            *_head(centre, "出件回执"),
            Field("办件编号", case.official_no or case.payload.local_no),
            Field("事项", case.payload.item.name),
            Field("领取人", receiver),
            Field("证件号码", mask_id(receiver_id)),
            Field("出件方式", how),
            *_foot(centre, clerk_id, at),
        ),
    )
