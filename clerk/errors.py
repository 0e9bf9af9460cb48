"""The one handler for errors (architecture rule 13), for the desk, the kiosk, the board and
the CLI alike.

A `UserError` (the `usererror` base: device, sync, hall, queue, store, config errors ...)
carries its own Chinese line. A form's pydantic `ValidationError` is turned into the first
problem's words. Bad ground is a state, not a bug: the operating system refusing a write (a
full disk, a read-only mount) or SQLite's storage states are named (`ground`). Anything else
is a bug: `bug()` logs it with its traceback (the log redacts
ID and phone numbers, `clerk.logs`) and the person reads 系统内部错误 once, never the bug's
own text, which may be English or carry personal data.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pydantic

from usererror import UserError

log = logging.getLogger("clerk.errors")
INTERNAL = "操作未完成：系统内部错误，已记入日志，请联系管理员"
FIELD_NAMES = {
    "name": "姓名",
    "id_number": "证件号码",
    "phone": "电话",
    "address": "地址",
    "reason": "理由",
}


def explain(error: BaseException) -> str:
    """The line a person reads for `error`; a bug is logged and shown as 系统内部错误."""
    if isinstance(error, UserError):
        return str(error)
    if isinstance(error, pydantic.ValidationError):
        return first_problem(error)
    if found := ground(error):
        return found[0]
    return bug(error)


def ground(error: BaseException, directory: Path | None = None) -> tuple[str, bool] | None:
    """Bad ground as (one Chinese line, whether it is only busy), logged as a warning: the
    operating system's refusal, or a SQLite storage state (`directory`: the data directory,
    to tell a full disk from SQLite's "disk I/O error"). None for anything else."""
    from offline.db import os_problem, storage_problem

    if isinstance(error, OSError):  # a full disk, a read-only mount: the person is told so
        log.warning("storage: %s", error)
        return os_problem(error), False
    if found := storage_problem(error, directory):
        log.warning("storage: %s (%s)", found[0], type(error).__name__)
    return found


def first_problem(error: pydantic.ValidationError) -> str:
    """A form's first problem in the clerk's words (a validator's Chinese message as is)."""
    first = error.errors()[0]
    text = str(first.get("msg", "填写有误")).removeprefix("Value error, ")
    where = ".".join(str(p) for p in first.get("loc", ()))
    if first.get("type") in ("string_too_short", "missing"):
        return f"{FIELD_NAMES.get(where, where)}为必填项"
    return text if not text.isascii() else f"{FIELD_NAMES.get(where, where)}填写有误"


def bug(error: BaseException, where: str = "") -> str:
    """Log a bug with its traceback; the words to show for it."""
    log.error("unexpected error%s", f" in {where}" if where else "", exc_info=error)
    return INTERNAL
