"""Clerks and their PINs: a slow salted scrypt hash, lockout after repeated wrong PINs.

The PIN itself is never stored, logged or returned; the hash never leaves this module.
The lockout doubles with every further wrong PIN (5 minutes, 10, 20 … up to a day), so a
4-digit PIN cannot be guessed in a week. An unknown 工号 answers exactly as a wrong PIN does,
after the same scrypt work, so a guesser cannot tell which numbers exist.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from offline import audit
from offline.clock import now
from offline.db import write
from offline.models import Clerk
from usererror import UserError

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=5)
MAX_LOCKOUT = timedelta(days=1)
WRONG = "工号或PIN不正确"
_N, _R, _P = 2**14, 8, 1  # about 50 ms on a hall PC: cheap for a clerk, dear for a guesser


class AuthError(UserError):
    """A refused login or clerk change; `str()` is the message for the clerk or admin."""


def hash_pin(pin: str) -> str:
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(pin.encode(), salt=salt, n=_N, r=_R, p=_P)
    return "$".join(["scrypt", str(_N), str(_R), str(_P), _b64(salt), _b64(key)])


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def pin_matches(pin: str, stored: str) -> bool:
    _, n, r, p, salt, key = stored.split("$")
    candidate = hashlib.scrypt(
        pin.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p)
    )
    return hmac.compare_digest(candidate, base64.b64decode(key))


_DUMMY_HASH = "$".join(
    ["scrypt", str(_N), str(_R), str(_P), _b64(b"window-clerk-salt"), _b64(bytes(64))]
)


def lockout(failures: int) -> timedelta:
    """How long the MAX_FAILURES-th and every later wrong PIN in a row lock the clerk out."""
    return min(LOCKOUT * 2 ** max(0, failures - MAX_FAILURES), MAX_LOCKOUT)


def _minutes(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    return f"{minutes // 60}小时" if minutes >= 60 and minutes % 60 == 0 else f"{minutes}分钟"


def check_pin_rules(pin: str) -> None:
    if not (pin.isdigit() and 4 <= len(pin) <= 12):
        raise AuthError("PIN须为4至12位数字")


def row_to_clerk(row: dict[str, Any]) -> Clerk:
    """A `clerks` row as its model; `clerk db check` reads every row through this too, so a
    row it passes is a row the login can list."""
    locked = row["locked_until"]
    return Clerk(
        clerk_id=row["clerk_id"],
        name=row["name"],
        role=row["role"],
        disabled=bool(row["disabled"]),
        locked_until=datetime.fromisoformat(locked) if locked else None,
    )


def _row(db: Database, clerk_id: str) -> dict[str, Any] | None:
    rows = list(db["clerks"].rows_where("clerk_id = ?", [clerk_id]))
    return rows[0] if rows else None


def get(db: Database, clerk_id: str) -> Clerk | None:
    row = _row(db, clerk_id)
    return row_to_clerk(row) if row else None


def list_all(db: Database) -> list[Clerk]:
    return [row_to_clerk(row) for row in db["clerks"].rows_where(order_by="clerk_id")]


def add(db: Database, clerk: Clerk, pin: str, *, by: str, window_no: int | None) -> Clerk:
    check_pin_rules(pin)
    pin_hash = hash_pin(pin)
    with write(db):
        if _row(db, clerk.clerk_id):
            raise AuthError(f"工号 {clerk.clerk_id} 已存在")
        db.table("clerks").insert(
            {
                "clerk_id": clerk.clerk_id,
                "name": clerk.name,
                "role": clerk.role,
                "pin_hash": pin_hash,
                "created_at": now().isoformat(),
            }
        )
        audit.append(
            db,
            clerk_id=by,
            window_no=window_no,
            action="clerk.add",
            target=clerk.clerk_id,
            detail={"role": clerk.role},
        )
    return clerk


def _update(
    db: Database,
    clerk_id: str,
    changes: dict[str, Any],
    *,
    by: str,
    window_no: int | None,
    action: str,
    detail: dict[str, Any] | None = None,
) -> None:
    with write(db):
        if not _row(db, clerk_id):
            raise AuthError(f"工号 {clerk_id} 不存在")
        db.table("clerks").update(clerk_id, changes)
        audit.append(
            db, clerk_id=by, window_no=window_no, action=action, target=clerk_id, detail=detail
        )


def set_pin(db: Database, clerk_id: str, pin: str, *, by: str, window_no: int | None) -> None:
    """A new PIN also lifts a lockout."""
    check_pin_rules(pin)
    changes = {"pin_hash": hash_pin(pin), "failed_attempts": 0, "locked_until": None}
    _update(db, clerk_id, changes, by=by, window_no=window_no, action="clerk.passwd")


def set_disabled(
    db: Database, clerk_id: str, disabled: bool, *, by: str, window_no: int | None
) -> None:
    action = "clerk.disable" if disabled else "clerk.enable"
    _update(db, clerk_id, {"disabled": int(disabled)}, by=by, window_no=window_no, action=action)


def authenticate(db: Database, clerk_id: str, pin: str, *, window_no: int | None) -> Clerk:
    """Check a login; raises `AuthError` with the reason. Every attempt is audited."""
    with write(db):
        clerk, refusal = _attempt(db, clerk_id, pin, now())
        action = "login" if clerk else "login.failed"
        audit.append(
            db,
            clerk_id=clerk_id,
            window_no=window_no,
            action=action,
            detail={"reason": refusal} if refusal else None,
        )
    if clerk is None:
        raise AuthError(refusal)
    return clerk


def _attempt(db: Database, clerk_id: str, pin: str, at: datetime) -> tuple[Clerk | None, str]:
    """One login attempt inside the caller's transaction: the clerk, or why not."""
    row = _row(db, clerk_id)
    if row is None:
        pin_matches(pin, _DUMMY_HASH)  # the same work as for a known 工号
        return None, WRONG
    if row["disabled"]:
        return None, "该工号已停用，请联系管理员"
    locked = row["locked_until"]
    if locked and datetime.fromisoformat(locked) > at:
        until = datetime.fromisoformat(locked)
        return None, f"PIN错误次数过多，账号已锁定，请于 {until:%H:%M} 后再试"
    if pin_matches(pin, row["pin_hash"]):
        db.table("clerks").update(clerk_id, {"failed_attempts": 0, "locked_until": None})
        return row_to_clerk({**row, "locked_until": None}), ""
    failures = row["failed_attempts"] + 1  # in a row: only a right PIN or a new one resets it
    if failures >= MAX_FAILURES:
        span = lockout(failures)
        db.table("clerks").update(
            clerk_id, {"failed_attempts": failures, "locked_until": (at + span).isoformat()}
        )
        return None, f"PIN连续错误{failures}次，账号锁定{_minutes(span)}"
    db.table("clerks").update(clerk_id, {"failed_attempts": failures})
    return None, WRONG
