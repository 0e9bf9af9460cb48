"""The one place errors become words for the clerk. (The app-wide events are in
`clerk/messages.py`.)"""

from __future__ import annotations

import logging

import pydantic

from devices.errors import DeviceError
from offline.clerks import AuthError
from offline.followup import FollowUpError
from offline.intake import IntakeError

log = logging.getLogger("clerk.desk")


def expected() -> tuple[type[Exception], ...]:
    """Errors whose text is the clerk's message. The hall client and the sync engine are
    imported here, at the first error, not before the login screen shows."""
    from clerk.hall.client import HallError
    from offline.queue import QueueError
    from offline.sync import SyncError

    return (
        AuthError,
        DeviceError,
        FollowUpError,
        HallError,
        IntakeError,
        QueueError,
        SyncError,
        ValueError,
    )


def explain(error: BaseException) -> str:
    """The clerk's message for an error; anything unexpected is logged, never shown raw."""
    if isinstance(error, pydantic.ValidationError):
        first = error.errors()[0]
        text = str(first.get("msg", "填写有误")).removeprefix("Value error, ")
        where = ".".join(str(p) for p in first.get("loc", ()))
        if first.get("type") in ("string_too_short", "missing"):
            return f"{FIELD_NAMES.get(where, where)}为必填项"
        return text if not text.isascii() else f"{FIELD_NAMES.get(where, where)}填写有误"
    if isinstance(error, expected()):
        return str(error)
    from offline.db import os_problem, storage_problem

    if isinstance(error, OSError):  # a full disk, a read-only mount: the clerk is told so
        log.warning("storage: %s", error)
        return os_problem(error)
    if found := storage_problem(error):
        log.warning("storage: %s (%s)", found[0], type(error).__name__)
        return found[0]
    log.exception("unexpected error at the desk", exc_info=error)
    return "操作未完成：系统内部错误，已记入日志，请联系管理员"


FIELD_NAMES = {
    "name": "姓名",
    "id_number": "证件号码",
    "phone": "电话",
    "address": "地址",
    "reason": "理由",
}
