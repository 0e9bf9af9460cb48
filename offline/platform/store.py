"""The reference platform's state: devices, operations kept forever, cases, changes, blobs.

For development, demos and tests only. It implements `platform-api.md` as written: permanent
idempotency by `op_id` with a payload fingerprint, `seq` order per (case, device), blobs
uploaded in chunks with a digest check, a change feed per centre, and a state digest.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlite_utils import Database, Migrations

from offline.catalog import demo_catalog
from offline.clock import now
from offline.db import connect, insert
from offline.intake import form_problems
from offline.visits import CaseVisits, count

migrations = Migrations("platform")
MAX_CHUNK = 1024 * 1024
# What a window's follow-up operation does to the case on the platform.
OP_STATUS = {
    "case.correction_received": "in_review",
    "case.deliver": "delivered",
    "case.withdraw": "withdrawn",
}
NEXT_STATUS = {"in_review": "approved", "approved": "ready_for_pickup"}
DECIDED = ("approved", "denied", "ready_for_pickup", "delivered", "closed")
FOLLOWUP_TEXT = "已电话回访申请人，情况属实，已督促窗口整改"
MAX_BLOB = 50 * 1024 * 1024


@migrations()
def m001_platform(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE devices (device_id TEXT PRIMARY KEY, centre_code TEXT NOT NULL,
                              token_sha256 TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL);
        CREATE TABLE ops (op_id TEXT PRIMARY KEY, device_id TEXT NOT NULL,
                          centre_code TEXT NOT NULL, case_id TEXT NOT NULL, seq INTEGER NOT NULL,
                          type TEXT NOT NULL, fingerprint TEXT NOT NULL,
                          server_version INTEGER NOT NULL, at TEXT NOT NULL,
                          UNIQUE (case_id, device_id, seq));
        CREATE TABLE cases (case_id TEXT PRIMARY KEY, centre_code TEXT NOT NULL,
                            server_version INTEGER NOT NULL, status TEXT NOT NULL,
                            official_no TEXT, body TEXT NOT NULL, updated_at TEXT NOT NULL);
        CREATE TABLE changes (id INTEGER PRIMARY KEY, centre_code TEXT NOT NULL,
                              body TEXT NOT NULL);
        CREATE INDEX changes_centre ON changes (centre_code, id);
        CREATE TABLE blobs (sha256 TEXT PRIMARY KEY, total INTEGER NOT NULL,
                            data BLOB NOT NULL, complete INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
        """
    )


@migrations()
def m002_evaluations(db: Database) -> None:
    """好差评 received, so that the back office can follow up each 差评."""
    db.executescript(
        """
        CREATE TABLE evaluations (evaluation_id TEXT PRIMARY KEY, centre_code TEXT NOT NULL,
                                  level TEXT NOT NULL, followed_up INTEGER NOT NULL DEFAULT 0);
        """
    )


@migrations()
def m003_numbers_and_windows(db: Database) -> None:
    """Case numbers held (one case per number), the window a device stands for (one device
    per window), and which device a change came from (its own cases go back to it light)."""
    db.executescript(
        """
        ALTER TABLE cases ADD COLUMN local_no TEXT;
        UPDATE cases SET local_no = json_extract(body, '$.local_no');
        CREATE INDEX cases_local_no ON cases (centre_code, local_no);
        ALTER TABLE devices ADD COLUMN window_no INTEGER;
        CREATE UNIQUE INDEX devices_window ON devices (centre_code, window_no)
            WHERE window_no IS NOT NULL;
        ALTER TABLE changes ADD COLUMN device_id TEXT;
        """
    )


@migrations()
def m004_bundles_and_visits(db: Database) -> None:
    """1.1: each case's 一件事 group, and each operation's payload (for 跑动次数)."""
    db.executescript(
        """
        ALTER TABLE cases ADD COLUMN group_id TEXT;
        CREATE INDEX cases_group ON cases (group_id) WHERE group_id IS NOT NULL;
        ALTER TABLE ops ADD COLUMN payload TEXT;
        """
    )


class WindowTaken(ValueError):
    """Another device is registered for this window number; `str()` says which."""


def fingerprint(op: dict[str, Any]) -> str:
    """What makes two sendings of one op_id "the same": everything but transport details."""
    fields = {
        k: op.get(k) for k in ("case_id", "seq", "type", "at", "clerk_id", "window_no", "payload")
    }
    return hashlib.sha256(
        json.dumps(fields, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()


class PlatformStore:
    def __init__(self, path: Path | str) -> None:
        self.db = Database(connect(path), execute_plugins=False)
        migrations.apply(self.db)
        self._lock = threading.RLock()
        self.items = {i.code: i for i in demo_catalog().items}

    @contextmanager
    def _write(self) -> Iterator[Database]:
        with self._lock:
            self.db.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
                self.db.conn.execute("COMMIT")
            except BaseException:
                self.db.conn.execute("ROLLBACK")
                raise

    # --- devices ----------------------------------------------------------------------------

    def add_device(self, device_id: str, centre_code: str, window_no: int | None = None) -> str:
        """Register a window machine; returns its token (shown once, stored only hashed).
        At most one device stands for a (centre, window number) at a time: two machines with
        one window number would issue the same case numbers (`WindowTaken`). Registering the
        same device again (a new token) is allowed."""
        token = secrets.token_urlsafe(32)
        with self._write() as db:
            if window_no is not None:
                holder = db.conn.execute(
                    "SELECT device_id FROM devices WHERE centre_code = ? AND window_no = ? "
                    "AND device_id != ?",
                    [centre_code, window_no, device_id],
                ).fetchone()
                if holder:
                    raise WindowTaken(
                        f"窗口 {window_no} 已登记给设备 {holder[0]}：一个窗口号只能有一台设备，"
                        "否则会发出重复的办件编号。请先注销原设备，或改用其他窗口号"
                    )
            db.conn.execute(
                "INSERT OR REPLACE INTO devices (device_id, centre_code, token_sha256, "
                "created_at, window_no) VALUES (?, ?, ?, ?, ?)",
                [device_id, centre_code, _sha(token), now().isoformat(), window_no],
            )
        return token

    def remove_device(self, device_id: str) -> bool:
        """Retire a machine: its token stops working and its window number is free again."""
        with self._write() as db:
            return bool(
                db.conn.execute("DELETE FROM devices WHERE device_id = ?", [device_id]).rowcount
            )

    def device(self, device_id: str, token: str) -> str | None:
        """The device's centre code when the token is right, else None."""
        with self._lock:
            row = self.db.conn.execute(
                "SELECT centre_code FROM devices WHERE device_id = ? AND token_sha256 = ?",
                [device_id, _sha(token)],
            ).fetchone()
        return row[0] if row else None

    # --- operations -------------------------------------------------------------------------

    def apply_ops(self, device_id: str, centre: str, ops: list[dict]) -> list[dict]:
        with self._write():
            return [self._apply(device_id, centre, op) for op in ops]

    def _apply(self, device_id: str, centre: str, op: dict) -> dict:
        conn, op_id = self.db.conn, op.get("op_id")
        try:
            case_id, seq, kind = op["case_id"], int(op["seq"]), op["type"]
            payload = op["payload"]
        except (KeyError, TypeError, ValueError):
            return _result(op_id, "rejected", "schema", "操作格式不正确")
        known = conn.execute(
            "SELECT fingerprint, server_version FROM ops WHERE op_id = ?", [op_id]
        ).fetchone()
        if known:
            if known[0] == fingerprint(op):
                conn.execute(
                    "INSERT INTO counters VALUES ('duplicates', 1) ON CONFLICT (name) "
                    "DO UPDATE SET value = value + 1"
                )
                return {"op_id": op_id, "result": "duplicate", "server_version": known[1]}
            return _result(op_id, "conflict", "payload_differs", "同一操作编号的内容不同")
        [(last,)] = conn.execute(
            "SELECT COALESCE(MAX(seq), 0) FROM ops WHERE case_id = ? AND device_id = ?",
            [case_id, device_id],
        ).fetchall()
        if seq > last + 1:
            return _result(op_id, "retry", "seq_gap", "前序操作尚未到达")
        if seq <= last:
            return _result(op_id, "conflict", "seq_taken", "该序号已有其他操作")
        problem = self._check(kind, payload, case_id, centre)
        if problem:
            return problem | {"op_id": op_id}
        missing = [s for s in _attachments(payload) if not self._blob_complete(s)]
        if missing:
            return _result(op_id, "retry", "missing_blob", "附件尚未上传") | {"missing": missing}
        version = self._case_change(case_id, centre, kind, payload, device_id)
        if kind == "evaluation.create":
            conn.execute(
                "INSERT OR IGNORE INTO evaluations (evaluation_id, centre_code, level) "
                "VALUES (?, ?, ?)",
                [payload["evaluation_id"], centre, payload["level"]],
            )
        insert(
            self.db,
            "ops",
            {
                "op_id": op_id,
                "device_id": device_id,
                "centre_code": centre,
                "case_id": case_id,
                "seq": seq,
                "type": kind,
                "fingerprint": fingerprint(op),
                "server_version": version,
                "at": now().isoformat(),
                "payload": json.dumps(payload, ensure_ascii=False),
            },
        )
        return {"op_id": op_id, "result": "applied", "server_version": version}

    def _check(self, kind: str, payload: dict, case_id: str, centre: str) -> dict | None:
        if kind in ("case.accept", "case.reject"):
            item = payload.get("item", {}).get("code")
            if item not in self.items:
                return _result(None, "rejected", "unknown_item", "事项编码不存在")
            holder = self.db.conn.execute(
                "SELECT case_id FROM cases WHERE centre_code = ? AND local_no = ? AND case_id != ?",
                [centre, payload.get("local_no"), case_id],
            ).fetchone()
            if holder:
                return _result(
                    None, "rejected", "duplicate_local_no", "该办件编号已属于平台上的另一件办件"
                )
            form = payload.get("form") or {}
            if kind == "case.accept" and (wrong := form_problems(self.items[item], form)):
                return _result(None, "rejected", "schema", next(iter(wrong.values())))
            delivery = payload.get("delivery") or {}
            if delivery.get("method") == "post" and not (
                delivery.get("address") and delivery.get("phone")
            ):
                return _result(None, "rejected", "schema", "邮寄送达须有地址和电话")
        return None

    def _case_change(
        self, case_id: str, centre: str, kind: str, payload: dict, device_id: str
    ) -> int:
        conn = self.db.conn
        row = conn.execute(
            "SELECT server_version, status FROM cases WHERE case_id = ?", [case_id]
        ).fetchone()
        version = (row[0] if row else 0) + 1
        if kind in ("case.accept", "case.reject") and row is None:
            status = "in_review" if kind == "case.accept" else "closed"
            official = self._official_no(centre)
            conn.execute(
                "INSERT INTO cases (case_id, centre_code, server_version, status, official_no, "
                "body, updated_at, local_no, group_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    case_id,
                    centre,
                    version,
                    status,
                    official,
                    json.dumps(payload, ensure_ascii=False),
                    now().isoformat(),
                    payload.get("local_no"),
                    (payload.get("bundle") or {}).get("group_id"),
                ],
            )
            self.change(
                centre,
                {
                    "kind": "case.snapshot",
                    "case_id": case_id,
                    "server_version": version,
                    "status": status,
                    "official_no": official,
                    "case": payload,
                },
                device_id,
            )
        elif row is not None:
            status = OP_STATUS.get(kind, row[1])
            if kind == "case.correction_received" and row[1] in DECIDED:
                status = row[1]  # a 容缺 material brought late does not reopen the review
            conn.execute(
                "UPDATE cases SET server_version = ?, status = ?, updated_at = ? WHERE case_id = ?",
                [version, status, now().isoformat(), case_id],
            )
            if status != row[1]:
                self.change(
                    centre,
                    {
                        "kind": "case.status",
                        "case_id": case_id,
                        "server_version": version,
                        "status": status,
                        "at": now().isoformat(),
                        "note": "",
                    },
                )
        return version

    def _official_no(self, centre: str) -> str:
        conn = self.db.conn
        conn.execute(
            "INSERT INTO counters VALUES ('official_no', 1) ON CONFLICT (name) "
            "DO UPDATE SET value = value + 1"
        )
        [(n,)] = conn.execute("SELECT value FROM counters WHERE name = 'official_no'").fetchall()
        return f"{centre}{now():%y%m%d}{n:06d}"

    def change(self, centre: str, body: dict, device_id: str | None = None) -> None:
        """Add to the centre's change feed; `device_id` is the device whose operation caused
        it (that device already holds the case, see `changes`)."""
        self.db.conn.execute(
            "INSERT INTO changes (centre_code, body, device_id) VALUES (?, ?, ?)",
            [centre, json.dumps(body, ensure_ascii=False), device_id],
        )

    # --- the back office ----------------------------------------------------------------------

    def advance(self, limit: int = 100) -> int:
        """Move cases on one step (审查中 → 办结 → 待出件) and follow up each 差评 (回访整改),
        as the back office would."""
        with self._write() as db:
            bad = db.conn.execute(
                "SELECT evaluation_id, centre_code FROM evaluations WHERE followed_up = 0 "
                "AND level IN ('dissatisfied', 'very_dissatisfied') LIMIT ?",
                [limit],
            ).fetchall()
            for evaluation_id, centre in bad:
                db.conn.execute(
                    "UPDATE evaluations SET followed_up = 1 WHERE evaluation_id = ?",
                    [evaluation_id],
                )
                self.change(
                    centre,
                    {
                        "kind": "evaluation.followup",
                        "evaluation_id": evaluation_id,
                        "text": FOLLOWUP_TEXT,
                        "at": now().isoformat(),
                    },
                )
            rows = self._movable(limit)
            for case_id, centre, version, status, official in rows:
                nxt = NEXT_STATUS[status]
                db.conn.execute(
                    "UPDATE cases SET status = ?, server_version = ?, updated_at = ? "
                    "WHERE case_id = ?",
                    [nxt, version + 1, now().isoformat(), case_id],
                )
                self.change(
                    centre,
                    {
                        "kind": "case.status",
                        "case_id": case_id,
                        "server_version": version + 1,
                        "status": nxt,
                        "official_no": official,
                        "at": now().isoformat(),
                        "note": "",
                    },
                )
        return len(rows) + len(bad)

    def _movable(self, limit: int) -> list[tuple]:
        """The cases to move one step: a 一件事's members move together, the ones behind
        first, so that a group reaches 待出件 at once (one trip to collect it all)."""
        rows = self.db.conn.execute(
            "SELECT case_id, centre_code, server_version, status, official_no, group_id "
            "FROM cases WHERE status IN ('in_review', 'approved') ORDER BY updated_at LIMIT ?",
            [limit],
        ).fetchall()
        groups = {r[5] for r in rows if r[5]}
        moving = [r[:5] for r in rows if not r[5]]
        for group in sorted(groups):
            members = self.db.conn.execute(
                "SELECT case_id, centre_code, server_version, status, official_no FROM cases "
                "WHERE group_id = ? AND status IN ('in_review', 'approved') ORDER BY case_id",
                [group],
            ).fetchall()
            behind = [m for m in members if m[3] == "in_review"]
            moving += behind or members
        return moving

    def visits(self, centre: str) -> list[CaseVisits]:
        """跑动次数 of the centre's cases, counted from the operations the platform holds,
        by the same rule as the window (`offline.visits`)."""
        with self._lock:
            cases = self.db.conn.execute(
                "SELECT case_id, body FROM cases WHERE centre_code = ?", [centre]
            ).fetchall()
            ops: dict[str, list[tuple[str, dict]]] = {}
            for case_id, kind, payload in self.db.conn.execute(
                "SELECT case_id, type, payload FROM ops WHERE centre_code = ? "
                "ORDER BY case_id, rowid",
                [centre],
            ):
                ops.setdefault(case_id, []).append((kind, json.loads(payload or "{}")))
        return [count(case_id, json.loads(body), ops.get(case_id, [])) for case_id, body in cases]

    # --- changes, state, stats ------------------------------------------------------------------

    def changes(
        self,
        centre: str,
        since: int,
        limit: int,
        device_id: str | None = None,
        *,
        own_in_full: bool = False,
    ) -> tuple[list[dict], int, bool]:
        """A page of the centre's feed. The snapshot of a case goes to the device that
        accepted it as a light `case.status` (its status and official number): that window
        holds the case already, and pulling back its own cases in full cost a drain of ten
        thousand cases seconds. A window restored from a backup asks for them in full
        (`own=full`), each with `device_seq`, the highest `seq` the platform holds from this
        device for it: the window has lost the cases and operations it sent after the backup,
        and its next operation on such a case must follow them."""
        with self._lock:
            rows = self.db.conn.execute(
                "SELECT id, body, device_id FROM changes WHERE centre_code = ? AND id > ? "
                "ORDER BY id LIMIT ?",
                [centre, since, limit + 1],
            ).fetchall()
            more = len(rows) > limit
            rows = rows[:limit]
            found = []
            for _, body, source in rows:
                change, own = json.loads(body), source == device_id
                if own and own_in_full and change.get("kind") == "case.snapshot":
                    change["device_seq"] = self._device_seq(change["case_id"], source)
                found.append(_light(change, own and not own_in_full))
        return found, rows[-1][0] if rows else since, more

    def _device_seq(self, case_id: str, device_id: str) -> int:
        """The highest `seq` of the case's operations from `device_id` (hold the lock)."""
        [(last,)] = self.db.conn.execute(
            "SELECT COALESCE(MAX(seq), 0) FROM ops WHERE case_id = ? AND device_id = ?",
            [case_id, device_id],
        ).fetchall()
        return int(last)

    def state(self, centre: str) -> dict:
        with self._lock:
            ops = [
                r[0]
                for r in self.db.conn.execute(
                    "SELECT op_id FROM ops WHERE centre_code = ? ORDER BY op_id", [centre]
                )
            ]
            states = [
                {"case_id": r[0], "status": r[1], "official_no": r[2]}
                for r in self.db.conn.execute(
                    "SELECT case_id, status, official_no FROM cases WHERE centre_code = ? "
                    "ORDER BY case_id",
                    [centre],
                )
            ]
        digest = hashlib.sha256("\n".join(ops).encode()).hexdigest()
        # case_states (API 1.1): lets `clerk sync verify` compare each case, not only presence
        return {"cases": len(states), "ops": len(ops), "digest": digest, "case_states": states}

    def stats(self) -> dict:
        queries = {
            "cases": "SELECT COUNT(*) FROM cases",
            "ops": "SELECT COUNT(*) FROM ops",
            "blobs": "SELECT COUNT(*) FROM blobs WHERE complete = 1",
            "duplicates": "SELECT COALESCE(SUM(value), 0) FROM counters WHERE name = 'duplicates'",
        }
        with self._lock:
            return {k: self.db.conn.execute(q).fetchone()[0] for k, q in queries.items()}

    # --- blobs ------------------------------------------------------------------------------

    def _blob_complete(self, sha256: str) -> bool:
        row = self.db.conn.execute(
            "SELECT complete FROM blobs WHERE sha256 = ?", [sha256]
        ).fetchone()
        return bool(row and row[0])

    def blob_state(self, sha256: str) -> tuple[int, int]:
        """(HTTP status, length or offset): 200 complete, 206 partial, 404 unknown."""
        with self._lock:
            row = self.db.conn.execute(
                "SELECT length(data), complete FROM blobs WHERE sha256 = ?", [sha256]
            ).fetchone()
        if row is None:
            return 404, 0
        return (200, row[0]) if row[1] else (206, row[0])

    def blob_put(self, sha256: str, start: int, total: int, chunk: bytes) -> tuple[int, int]:
        """Append one chunk; (201, total) when the blob is whole and its digest checks out."""
        with self._write() as db:
            row = db.conn.execute(
                "SELECT data, complete FROM blobs WHERE sha256 = ?", [sha256]
            ).fetchone()
            if row and row[1]:
                return 200, len(row[0])
            offset = len(row[0]) if row else 0
            if start != offset:
                return 409, offset
            data = (row[0] if row else b"") + chunk
            if len(data) < total:
                db.conn.execute(
                    "INSERT OR REPLACE INTO blobs VALUES (?, ?, ?, 0)", [sha256, total, data]
                )
                return 202, len(data)
            if hashlib.sha256(data).hexdigest() != sha256 or len(data) != total:
                db.conn.execute("DELETE FROM blobs WHERE sha256 = ?", [sha256])
                return 422, 0
            db.conn.execute(
                "INSERT OR REPLACE INTO blobs VALUES (?, ?, ?, 1)", [sha256, total, data]
            )
            return 201, total


def _light(change: dict, own: bool) -> dict:
    """The device's own snapshot without the case it already holds."""
    if not own or change.get("kind") != "case.snapshot":
        return change
    light = {k: v for k, v in change.items() if k != "case"}
    return light | {"kind": "case.status", "at": now().isoformat(), "note": ""}


def _attachments(payload: dict) -> list[str]:
    return [s for m in payload.get("materials", []) or [] for s in m.get("attachments", [])]


def _result(op_id: str | None, result: str, code: str, message: str) -> dict:
    return {"op_id": op_id, "result": result, "code": code, "message": message}


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
