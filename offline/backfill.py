"""补录: cases recorded on paper while the window PC was down, entered afterwards.

Each line of a JSONL file is a case as in the contract's case payload, without `case_id` and
`local_no` (assigned here), plus `source_ref` naming the paper record and, for a refused
application, `refusal: {reason, refer_to}`. Each is validated like a case accepted at the
window and created as if accepted at its recorded time; a `source_ref` already imported is
skipped, so importing the same file again creates nothing.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pydantic
from pydantic import ConfigDict, Field, field_validator

from offline.identity import IdentityError
from offline.intake import Intake, IntakeError
from offline.models import CaseMaterial, Person, Record, Refusal
from offline.problems import first_problem
from offline.store import BackfillEntry, Store
from usererror import UserError


class BackfillError(UserError, ValueError):
    """A line that cannot be imported; `str()` names the line and the problem."""


@dataclass
class BackfillResult:
    created: list[str] = field(default_factory=list)  # local numbers
    skipped: int = 0  # already imported before


class ItemKey(Record):
    model_config = ConfigDict(extra="ignore")
    code: str = Field(min_length=1, max_length=50)
    version: int | None = None


class Line(Record):
    """One line of the file, every field's type checked (members of the case payload that
    are assigned here, such as `local_no` or `window_no`, are ignored)."""

    model_config = ConfigDict(extra="ignore", strict=True)
    item: ItemKey
    applicant: Person
    agent: Person | None = None
    form: dict[str, Any] = Field(default_factory=dict)
    materials: list[CaseMaterial] = Field(default_factory=list)
    ticket: str | None = Field(None, max_length=20)
    accepted_at: datetime
    clerk_id: str = Field(min_length=1, max_length=20)
    source_ref: str = Field(min_length=1, max_length=200)
    refusal: Refusal | None = None

    @field_validator("accepted_at", mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        example = "如 2026-11-20T09:30:00+08:00"
        try:
            at = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            at = None
        if at is None:
            raise ValueError(f"应为日期时间，{example}")
        if at.tzinfo is None:
            raise ValueError(f"需要带时区，{example}")
        return at

    def entry(self, number: int) -> BackfillEntry:
        intake = Intake(
            item_code=self.item.code,
            item_version=self.item.version,
            applicant=self.applicant,
            agent=self.agent,
            form=self.form,
            materials=self.materials,
            ticket=self.ticket,
        )
        return BackfillEntry(
            number, intake, self.accepted_at, self.clerk_id, self.source_ref, self.refusal
        )


def import_file(
    store: Store, path: Path, progress: Callable[[str, int, int], None] | None = None
) -> BackfillResult:
    """Check every line, then create all the cases in one transaction: a bad file creates
    nothing, and a message names the line as an editor counts it (blank lines included).
    One import at a time per data directory; a second one is told so at once.
    `progress(stage, done, total)` is told as lines are checked, then as cases are written."""
    entries = []
    lines = path.read_text("utf-8").split("\n")
    if lines[-1] == "":  # the file's last newline ends a line; it starts none
        lines.pop()
    tell = progress or (lambda stage, done, total: None)
    for number, text in enumerate(lines, start=1):
        tell("checked", number, len(lines))
        if not text.strip():
            continue
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise ValueError("每行应为一个JSON对象")
            entries.append(Line.model_validate(data, strict=False).entry(number))
        except (ValueError, pydantic.ValidationError) as error:
            raise BackfillError(f"第{number}行：{_reason(error)}（整个文件未导入）") from None
    with _one_at_a_time(store.path):
        try:
            created, skipped = store.backfill(
                entries, lambda done, total: tell("written", done, total)
            )
        except (IntakeError, IdentityError) as error:
            where = getattr(error, "line", "?")
            raise BackfillError(f"第{where}行：{error}（整个文件未导入）") from None
    return BackfillResult(created=[c.local_no for c in created], skipped=skipped)


@contextmanager
def _one_at_a_time(db_path: Path) -> Iterator[None]:
    lock = db_path.with_name(db_path.name + ".import.lock")
    fd = os.open(lock, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackfillError("另一个补录导入正在进行，请等它完成后再导入") from None
        yield
    finally:
        os.close(fd)


def _reason(error: Exception) -> str:
    if isinstance(error, pydantic.ValidationError):
        where, why = first_problem(error.errors())
        return f"{where}：{why}" if where else why
    if isinstance(error, json.JSONDecodeError):
        return f"不是合法的JSON（第{error.colno}列）"
    return str(error)
