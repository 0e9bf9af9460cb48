"""What the clerk filled in at the window, and the rules that turn it into a decision.

受理 needs every required material; 容缺受理 is allowed only for the materials the item lists in
`allow_missing`; anything else missing means 一次性告知 or 不予受理. The form is checked against
the item's JSON Schema, with messages that name the field in Chinese.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

from pydantic import Field

from offline.clock import now
from offline.models import CaseMaterial, CaseStatus, Delivery, Person, Record, ServiceItem
from usererror import UserError


class IntakeError(UserError, ValueError):
    """The intake cannot be decided as asked; `str()` tells the clerk why."""


class Intake(Record):
    """One application as entered at the window, before it gets a case number."""

    MULTILINE = frozenset({"form"})

    item_code: str
    item_version: int | None = None
    applicant: Person
    agent: Person | None = None
    form: dict[str, Any] = Field(default_factory=dict)
    materials: list[CaseMaterial] = Field(default_factory=list)
    ticket: str | None = None
    delivery: Delivery | None = None  # 送达方式; None: 窗口自取


_MESSAGES = {
    "required": "为必填项",
    "pattern": "格式不正确",
    "enum": "不在可选范围内",
    "type": "类型不正确",
    "minLength": "过短",
    "maxLength": "过长",
    "minimum": "小于允许的最小值",
    "maximum": "大于允许的最大值",
    "format": "格式不正确",
}


def _field(error: Any) -> str:
    if error.validator == "required":
        return error.message.split("'")[1]
    return str(error.path[0]) if error.path else ""


_DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PAST_ONLY = ("birth", "death")  # a field named for a birth or a death cannot lie ahead


def _is_date_field(spec: dict[str, Any]) -> bool:
    """The catalog marks a date either with `format: date` or with the pattern YYYY-MM-DD;
    either way the schema alone lets 2026-13-45 through, so dates get their own check."""
    return spec.get("format") == "date" or spec.get("pattern") == _DATE_PATTERN.pattern


def _date_problem(name: str, value: Any) -> str | None:
    """Why a date field's value is wrong (a day that does not exist, a birth in the future)."""
    if not isinstance(value, str) or not _DATE_PATTERN.match(value):
        return None  # the schema's own pattern/type check reports it
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return "不是有效的日期"
    if any(word in name for word in _PAST_ONLY) and day > now().date():
        return "不能晚于今天"
    return None


def _date_problems(properties: dict[str, Any], form: dict[str, Any]) -> dict[str, str]:
    """The date fields of `form` whose values are not real (or possible) dates."""
    dates = [n for n, spec in properties.items() if isinstance(spec, dict) and _is_date_field(spec)]
    reasons = {name: _date_problem(name, form.get(name)) for name in dates}
    return {name: reason for name, reason in reasons.items() if reason}


def form_problems(item: ServiceItem, form: dict[str, Any]) -> dict[str, str]:
    """Each field that breaks the item's schema, top to bottom, with the clerk's message."""
    properties = item.form.get("properties", {})
    order = {name: n for n, name in enumerate(properties)}
    import jsonschema  # ~0.1 s at import; loaded by the first form checked

    errors = jsonschema.Draft202012Validator(item.form).iter_errors(form)
    found = [(_field(e), _MESSAGES.get(str(e.validator), "填写有误")) for e in errors]
    found += list(_date_problems(properties, form).items())
    problems: dict[str, str] = {}
    for field, reason in sorted(found, key=lambda f: order.get(f[0], len(order))):
        title = properties.get(field, {}).get("title", field) or "表单"
        problems.setdefault(field, f"表单“{title}”{reason}")
    return problems


def check_form(item: ServiceItem, form: dict[str, Any]) -> None:
    """Raise `IntakeError` naming the first field, top to bottom, that breaks the schema."""
    if problems := form_problems(item, form):
        raise IntakeError(next(iter(problems.values())))


def check_materials(item: ServiceItem, materials: list[CaseMaterial]) -> list[CaseMaterial]:
    """The materials, named as in the catalog and in the catalog's order; refuses unknown ones."""
    given = {m.code: m for m in materials}
    unknown = set(given) - {spec.code for spec in item.materials}
    if unknown:
        raise IntakeError(f"材料编码不属于该事项：{'、'.join(sorted(unknown))}")
    for code, material in given.items():
        if material.status == "missing_allowed" and code not in item.allow_missing:
            raise IntakeError(f"“{item.material(code).name}”不允许容缺")
    return [
        given[s.code].model_copy(update={"name": s.name}) for s in item.materials if s.code in given
    ]


def decide(
    item: ServiceItem, materials: list[CaseMaterial]
) -> Literal["accepted", "accepted_missing"]:
    """受理 when every required material is in, 容缺受理 when only allowed ones are missing."""
    given = {m.code: m for m in materials}
    absent = [s.name for s in item.materials if s.required and s.code not in given]
    if absent:
        raise IntakeError(f"缺少必需材料：{'、'.join(absent)}，请出具一次性告知书或不予受理")
    missing = any(m.status == "missing_allowed" for m in materials)
    return "accepted_missing" if missing else "accepted"


def accepted_status(item: ServiceItem, intake: Intake) -> CaseStatus:
    """Validate an intake (materials already checked) and return the status it gets."""
    check_form(item, intake.form)
    if intake.delivery and intake.delivery.method == "on_the_spot" and item.case_type != "instant":
        raise IntakeError("当场办结仅适用于即办件，请选择窗口自取或邮寄送达")
    return decide(item, intake.materials)
