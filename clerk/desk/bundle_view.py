"""What the case page shows of 最多跑一次: its 送达方式, its 一件事 and its 跑动次数; and 出件
prepared from the 送达方式 chosen at intake."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input, Select

from offline.models import DELIVERY_METHOD_NAMES, Case
from offline.privacy import mask_phone
from offline.visits import CaseVisits


def case_lines(case: Case) -> list[str]:
    p = case.payload
    delivery = p.delivery
    method = DELIVERY_METHOD_NAMES[delivery.method if delivery else "pickup"]
    if delivery and delivery.method == "post":
        method += f"：{delivery.address}（{mask_phone(delivery.phone)}）"
    lines = [f"送达方式：{method}"]
    if p.bundle:
        others = [n for n in p.bundle.members if n != p.local_no]
        lines.append(f"一件事：{p.bundle.name}（同组办件：{'、'.join(others) or '无'}）")
    return lines


def visits_line(counted: CaseVisits) -> str:
    """跑动次数 with why: the intake, 补正 in person, pickup at a window."""
    why = ["受理1次"]
    if counted.corrections:
        why.append(f"补正{counted.corrections}次")
    if counted.pickups:
        why.append(f"取件{counted.pickups}次")
    return f"跑动次数：{counted.visits}（{'，'.join(why)}）"


def chosen_post(dialog: Any) -> None:
    """出件 of a case chosen 邮寄 at intake: by post to the applicant, a tracking number to
    fill in; 自取 stays as it was (the receiver's card on the reader)."""
    case: Case = dialog.case
    if not case.payload.delivery or case.payload.delivery.method != "post":
        return
    dialog.query_one("#method", Select).value = "post"
    applicant = case.payload.applicant
    dialog.query_one("#receiver-name", Input).value = applicant.name
    dialog.query_one("#receiver-id-type", Select).value = applicant.id_type
    dialog.query_one("#receiver-id-number", Input).value = applicant.id_number
    dialog.query_one("#tracking", Input).focus()
