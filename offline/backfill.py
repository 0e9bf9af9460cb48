"""补录: cases recorded on paper while the window PC was down, entered afterwards.

Each line of a JSONL file is a case as in the contract's case payload, without `case_id` and
`local_no` (assigned here), plus `source_ref` naming the paper record and, for a refused
application, `refusal: {reason, refer_to}`. Each is validated like a case accepted at the
window and created as if accepted at its recorded time; a `source_ref` already imported is
skipped, so importing the same file again creates nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pydantic

from offline.identity import IdentityError
from offline.intake import Intake, IntakeError
from offline.models import CaseMaterial, Person, Refusal
from offline.store import Store


class BackfillError(ValueError):
    """A line that cannot be imported; `str()` names the line and the problem."""


@dataclass
class BackfillResult:
    created: list[str] = field(default_factory=list)  # local numbers
    skipped: int = 0  # already imported before


def _entry(data: dict) -> tuple[Intake, datetime, str, str, Refusal | None]:
    item = data["item"]
    intake = Intake(
        item_code=item["code"],
        item_version=item.get("version"),
        applicant=Person.model_validate(data["applicant"]),
        agent=Person.model_validate(data["agent"]) if data.get("agent") else None,
        form=data.get("form") or {},
        materials=[CaseMaterial.model_validate(m) for m in data.get("materials", [])],
        ticket=data.get("ticket"),
    )
    at = datetime.fromisoformat(data["accepted_at"])
    if at.tzinfo is None:
        raise ValueError("accepted_at 需要带时区，如 2026-11-20T09:30:00+08:00")
    refusal = Refusal.model_validate(data["refusal"]) if data.get("refusal") else None
    return intake, at, data["clerk_id"], data["source_ref"], refusal


def import_file(store: Store, path: Path) -> BackfillResult:
    """Check every line first, then create the cases: a bad file creates nothing."""
    lines = path.read_text("utf-8").splitlines()
    entries = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entries.append(_entry(json.loads(line)))
        except (ValueError, KeyError, TypeError, pydantic.ValidationError) as error:
            raise BackfillError(f"第{number}行：{_reason(error)}") from None
    result = BackfillResult()
    for number, (intake, at, clerk_id, ref, refusal) in enumerate(entries, start=1):
        if store.case_by_source(ref):
            result.skipped += 1
            continue
        try:
            case = (
                store.refuse(intake, refusal, clerk_id=clerk_id, at=at, source_ref=ref)
                if refusal
                else store.accept(intake, clerk_id=clerk_id, at=at, source_ref=ref)
            )
        except (IntakeError, IdentityError) as error:
            raise BackfillError(f"第{number}行（{ref}）：{error}") from None
        result.created.append(case.local_no)
    return result


def _reason(error: Exception) -> str:
    if isinstance(error, pydantic.ValidationError):
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"{where} {str(first['msg']).removeprefix('Value error, ')}".strip()
    if isinstance(error, KeyError):
        return f"缺少字段 {error.args[0]}"
    return str(error)
