"""一件事 (bundles): kept beside the catalog, found by the item search, taken in one intake.

A bundle names several items a citizen needs for one thing in life (新生儿出生, 退休...). The
window asks each shared form field once, keeps one checklist in which a material several
members need is one row (一套材料: the same material name in two items is one material), and
turns the intake into one case per member, all linked by a group id (`bundle` of the case).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import Field
from sqlite_utils import Database

from offline import catalog, intake
from offline.db import upsert
from offline.intake import Intake, IntakeError
from offline.models import (
    Bundle,
    CaseMaterial,
    CaseStatus,
    Delivery,
    MaterialSpec,
    Person,
    Record,
    Refusal,
    ServiceItem,
)

BUNDLE_MARK = "【一件事】"


# --- the catalog's bundles -------------------------------------------------------------------


def row(bundle: Bundle) -> dict[str, Any]:
    initials, full = catalog.pinyin_keys(bundle.name)
    return {
        "code": bundle.code,
        "version": bundle.version,
        "name": bundle.name,
        "initials": initials,
        "pinyin": full,
        "retired": 0,
        "bundle": bundle.model_dump_json(),
    }


def store_rows(db: Database, rows: list[dict[str, Any]]) -> None:
    """Insert or replace bundles; call inside `write`, the rows built before it."""
    upsert(db, "catalog_bundles", rows, ("code", "version"))


def retire(db: Database, code: str, version: int) -> None:
    db.conn.execute(
        "UPDATE catalog_bundles SET retired = 1 WHERE code = ? AND version = ?", [code, version]
    )


def _current_rows(db: Database) -> list[dict[str, Any]]:
    return list(
        db.query(
            """
            SELECT * FROM catalog_bundles AS b
            WHERE retired = 0 AND version = (
                SELECT MAX(version) FROM catalog_bundles WHERE code = b.code AND retired = 0)
            ORDER BY code
            """
        )
    )


def _fits(bundle: Bundle, window_kind: str | None) -> bool:
    return window_kind is None or not bundle.window_kinds or window_kind in bundle.window_kinds


def current(db: Database, window_kind: str | None = None) -> list[Bundle]:
    found = [Bundle.model_validate_json(r["bundle"]) for r in _current_rows(db)]
    return [b for b in found if _fits(b, window_kind)]


def get(db: Database, code: str, version: int | None = None) -> Bundle | None:
    args: list[Any]
    if version is None:
        where, args = "code = ? AND retired = 0 ORDER BY version DESC LIMIT 1", [code]
    else:
        where, args = "code = ? AND version = ?", [code, version]
    rows = db.execute(f"SELECT bundle FROM catalog_bundles WHERE {where}", args).fetchall()
    return Bundle.model_validate_json(rows[0][0]) if rows else None


def search(db: Database, text: str, window_kind: str | None = None) -> list[Bundle]:
    """Bundles matching `text` as items do (initials, pinyin, Chinese, code), best first."""
    query = "".join(text.split()).lower()
    if not query:
        return []
    ranked = []
    for found in _current_rows(db):
        rank = catalog.rank(found, query)
        if rank is not None:
            ranked.append((rank, found["code"], Bundle.model_validate_json(found["bundle"])))
    ranked.sort(key=lambda entry: entry[:2])
    return [b for _, _, b in ranked if _fits(b, window_kind)]


def members(db: Database, bundle: Bundle) -> list[ServiceItem]:
    """The bundle's items as the catalog holds them; a missing one is the admin's problem."""
    found = []
    for ref in bundle.items:
        item = catalog.get(db, ref.code, ref.version) or catalog.get(db, ref.code)
        if item is None:
            raise IntakeError(f"一件事“{bundle.name}”的事项 {ref.code} 不在本机目录中，请更新目录")
        found.append(item)
    return found


# --- one form, one checklist -----------------------------------------------------------------


@dataclass(frozen=True)
class SharedChecklist:
    """The one checklist of a bundle: each material once, with the members that need it.

    `specs` are numbered S01, S02... in the order the members list them; `needs[code]` names,
    for each spec, the (item code, material code) pairs it stands for."""

    specs: list[MaterialSpec]
    allow_missing: list[str]
    needs: dict[str, list[tuple[str, str]]]

    def as_item(self, bundle: Bundle) -> ServiceItem:
        """The checklist shaped as an item, so that the item's checklist widget shows it."""
        return ServiceItem(
            code=bundle.code,
            version=bundle.version,
            name=bundle.name,
            category=(bundle.window_kinds or ["general"])[0],
            window_kinds=bundle.window_kinds or ["general"],
            case_type="instant",
            materials=self.specs,
            allow_missing=self.allow_missing,
        )

    def for_member(self, item: ServiceItem, given: list[CaseMaterial]) -> list[CaseMaterial]:
        """The member's own materials, taken from the shared rows that stand for them."""
        out = []
        for material in given:
            for code, own in self.needs.get(material.code, []):
                if code == item.code:
                    out.append(material.model_copy(update={"code": own}))
        return out


def checklist(items: list[ServiceItem]) -> SharedChecklist:
    """One row per material name across `items`; required if any member requires it; 容缺
    offered if every member needing it allows it."""
    specs: dict[str, MaterialSpec] = {}
    needs: dict[str, list[tuple[str, str]]] = {}
    allowed: dict[str, bool] = {}
    for item in items:
        for spec in item.materials:
            key = spec.name.strip()
            if key not in specs:
                code = f"S{len(specs) + 1:02d}"
                specs[key] = spec.model_copy(update={"code": code})
                needs[code], allowed[code] = [], True
            shared = specs[key]
            if spec.required and not shared.required:
                specs[key] = shared = shared.model_copy(update={"required": True})
            needs[shared.code].append((item.code, spec.code))
            allowed[shared.code] &= spec.code in item.allow_missing
    return SharedChecklist(
        specs=list(specs.values()),
        allow_missing=[code for code, ok in allowed.items() if ok],
        needs=needs,
    )


def shared_fields(bundle: Bundle, items: list[ServiceItem]) -> dict[str, dict[str, Any]]:
    """The shared fields' schemas, taken from the first member that has each."""
    out: dict[str, dict[str, Any]] = {}
    for name in bundle.shared_fields:
        for item in items:
            prop = item.form.get("properties", {}).get(name)
            if prop is not None:
                out[name] = prop
                break
    return out


def own_form(bundle: Bundle, item: ServiceItem) -> dict[str, Any]:
    """The member's form without the shared fields: what is asked under the item's name."""
    properties = {
        name: prop
        for name, prop in item.form.get("properties", {}).items()
        if name not in bundle.shared_fields
    }
    required = [n for n in item.form.get("required", []) if n in properties]
    return {"type": "object", "properties": properties, "required": required}


# --- the intake and its decision -------------------------------------------------------------


class MemberEntry(Record):
    """One member taken in the intake: its own fields, and 不予受理 for it alone if given."""

    item_code: str
    form: dict[str, Any] = Field(default_factory=dict)
    refusal: Refusal | None = None


class BundleIntake(Record):
    """A bundle as entered at the window: one applicant, the shared fields once, the members
    the citizen needs (a member left out is simply not listed), and the one checklist."""

    bundle_code: str
    bundle_version: int | None = None
    applicant: Person
    agent: Person | None = None
    shared_form: dict[str, Any] = Field(default_factory=dict)
    members: list[MemberEntry]
    materials: list[CaseMaterial] = Field(default_factory=list)  # codes of the shared checklist
    delivery: Delivery | None = None
    ticket: str | None = None


@dataclass(frozen=True)
class MemberPlan:
    """What one member becomes: its item, its intake, its status, and a refusal if any."""

    item: ServiceItem
    entry: Intake
    status: CaseStatus
    refusal: Refusal | None


def plan(db: Database, entry: BundleIntake) -> tuple[Bundle, list[MemberPlan]]:
    """Check the whole intake before any number is issued: every member decided, or the first
    problem named with its item, so that nothing is half accepted."""
    bundle = get(db, entry.bundle_code, entry.bundle_version)
    if bundle is None:
        raise IntakeError(f"一件事 {entry.bundle_code} 不存在或已停用，请更新事项目录")
    items = {item.code: item for item in members(db, bundle)}
    if not entry.members:
        raise IntakeError("请至少选择一个要办理的事项")
    codes = [m.item_code for m in entry.members]
    if len(set(codes)) != len(codes) or not set(codes) <= set(items):
        raise IntakeError(f"所选事项不属于一件事“{bundle.name}”或重复")
    shared = checklist(list(items.values()))
    known = {spec.code for spec in shared.specs}
    if unknown := {m.code for m in entry.materials} - known:
        raise IntakeError(f"材料编码不属于该一件事：{'、'.join(sorted(unknown))}")
    delivery = entry.delivery or Delivery()
    plans = [_member(bundle, items[m.item_code], m, entry, shared, delivery) for m in entry.members]
    return bundle, plans


def _member(
    bundle: Bundle,
    item: ServiceItem,
    member: MemberEntry,
    entry: BundleIntake,
    shared: SharedChecklist,
    delivery: Delivery,
) -> MemberPlan:
    form = {k: v for k, v in entry.shared_form.items() if k in item.form.get("properties", {})}
    form |= member.form
    if delivery.method == "on_the_spot" and item.case_type != "instant" and not member.refusal:
        raise IntakeError(f"“{item.name}”是承诺件，不能当场办结，请选择窗口自取或邮寄送达")
    one = Intake(
        item_code=item.code,
        item_version=item.version,
        applicant=entry.applicant,
        agent=entry.agent,
        form=form,
        materials=shared.for_member(item, entry.materials),
        ticket=entry.ticket,
        delivery=delivery,
    )
    try:
        materials = intake.check_materials(item, one.materials)
        one = one.model_copy(update={"materials": materials})
        if member.refusal:
            return MemberPlan(item, one, "refused", member.refusal)
        return MemberPlan(item, one, intake.accepted_status(item, one), None)
    except IntakeError as error:
        raise IntakeError(f"{item.name}：{error}") from None
