"""The hall queue's core: one ticket sequence for all windows, and the ticket state machine.

issued → called → serving → finished, with recall, no-show, park / call back, transfer
(keeping the number), cancel and reactivate. Numbers are a kind's prefix and three digits,
starting again every day. The rules that must never break are the database's own: a partial
unique index allows one open ticket per window and one per person per kind, and every step
runs under `BEGIN IMMEDIATE`, so windows calling at once can neither share a ticket nor hold
two. Every transition is an event with its time, for waiting and service-time reports.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from sqlite_utils import Database, Migrations

from offline.clock import now
from offline.db import TargetExists, connect, write
from offline.identity import IdentityError, check_hmt_permit, check_resident_id
from offline.models import Ticket
from usererror import UserError

migrations = Migrations("hall")
OPEN = ("called", "serving")
PAUSE_REASON_MAX = 20  # what the desk's queue panel shows in three lines, the counts below it
PREFIXES = {
    "social_security": "A",
    "civil_affairs": "B",
    "general": "C",
    "business": "D",
    "construction_land": "E",
    "agriculture": "F",
}


@migrations()
def m001_queue(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE tickets (
            id INTEGER PRIMARY KEY, day TEXT NOT NULL, kind TEXT NOT NULL,
            number TEXT NOT NULL, state TEXT NOT NULL, green INTEGER NOT NULL DEFAULT 0,
            person TEXT, window_no INTEGER, clerk_id TEXT, recalls INTEGER NOT NULL DEFAULT 0,
            issued_at TEXT NOT NULL, called_at TEXT, finished_at TEXT,
            UNIQUE (day, number));
        CREATE UNIQUE INDEX tickets_one_open_per_window ON tickets (window_no)
            WHERE state IN ('called', 'serving');
        CREATE UNIQUE INDEX tickets_one_open_per_person ON tickets (day, kind, person)
            WHERE person IS NOT NULL AND state IN ('issued', 'called', 'serving', 'parked');
        CREATE INDEX tickets_waiting ON tickets (day, state, kind, green, id);
        CREATE TABLE ticket_seq (day TEXT NOT NULL, kind TEXT NOT NULL, last INTEGER NOT NULL,
                                 PRIMARY KEY (day, kind));
        CREATE TABLE ticket_events (id INTEGER PRIMARY KEY, ticket_id INTEGER NOT NULL,
                                    at TEXT NOT NULL, event TEXT NOT NULL, window_no INTEGER,
                                    clerk_id TEXT, detail TEXT NOT NULL DEFAULT '{}');
        """
    )


@migrations()
def m002_windows_and_key(db: Database) -> None:
    """Which kinds each window serves, and the hall key that windows authenticate with."""
    db.executescript(
        """
        CREATE TABLE windows (window_no INTEGER PRIMARY KEY, kinds TEXT NOT NULL);
        CREATE TABLE hall_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        """
    )


@migrations()
def m003_pauses(db: Database) -> None:
    """Windows paused (暂停服务) with the reason the clerk gave."""
    db.executescript(
        "CREATE TABLE pauses (window_no INTEGER PRIMARY KEY, reason TEXT NOT NULL,"
        " since TEXT NOT NULL, clerk_id TEXT NOT NULL);"
    )


@migrations()
def m004_tokens(db: Database) -> None:
    """Credentials other than the admin key: one per window, kiosk or board, kept as the
    SHA-256 of a random token (the token itself is shown once, when it is issued)."""
    db.executescript(
        "CREATE TABLE hall_tokens (digest TEXT PRIMARY KEY, role TEXT NOT NULL,"
        " window_no INTEGER, name TEXT NOT NULL, created_at TEXT NOT NULL);"
        "CREATE UNIQUE INDEX hall_tokens_one_per_window ON hall_tokens (window_no)"
        " WHERE role = 'window';"
    )


class QueueError(UserError):
    """A queue step that cannot be taken; `str()` tells the clerk or the citizen why."""


Role = Literal["admin", "window", "kiosk", "board"]


@dataclass(frozen=True)
class Credential:
    """Who presented a key: the admin, one window, a kiosk or a board."""

    role: Role
    window_no: int | None = None

    def may_act_as(self, window_no: int) -> bool:
        return self.role == "admin" or (self.role == "window" and self.window_no == window_no)


def check_card_number(number: str) -> str:
    """A resident ID or a residence permit number as the kiosk's reader gives it, checked
    (raises `IdentityError` with the reason)."""
    try:
        return check_resident_id(number)
    except IdentityError:
        if number.strip().startswith(("81", "82", "83")):
            return check_hmt_permit(number)
        raise


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def secret_path(db_path: Path | str) -> Path:
    """The hall's person-key secret, beside its database (like SQLite's -wal and -shm)."""
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + "-secret")


def _load_secret(path: Path) -> bytes:
    """The per-hall secret, made (0600) on first use."""
    try:
        return bytes.fromhex(path.read_text("ascii").strip())
    except FileNotFoundError:
        pass
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:  # another process made it first
        return bytes.fromhex(path.read_text("ascii").strip())
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return bytes.fromhex(path.read_text("ascii").strip())


@dataclass(frozen=True)
class QueuePolicy:
    green: str = "first"  # "first": green channel always first; "one_in_n": every n-th call
    every: int = 3  # n for "one_in_n"
    caps: dict[str, int] = field(default_factory=dict)  # most tickets a day, per kind
    prefixes: dict[str, str] = field(default_factory=lambda: dict(PREFIXES))
    # when tickets are issued, per kind or "*" for every kind: "08:30-12:00,13:30-17:00"
    hours: dict[str, str] = field(default_factory=dict)

    def open_at(self, kind: str, at: datetime) -> bool:
        spans = self.hours.get(kind) or self.hours.get("*")
        if not spans:
            return True
        clock = f"{at:%H:%M}"
        return any(a <= clock < b for a, b in (span.split("-") for span in spans.split(",")))


def parse_hours(text: str) -> str:
    """Check "08:30-12:00,13:30-17:00" (raises ValueError naming what is wrong)."""
    for span in text.split(","):
        begin, _, end = span.partition("-")
        for clock in (begin, end):
            datetime.strptime(clock, "%H:%M")
        if not begin < end:
            raise ValueError(f"时段不正确：{span}")
    return text


_TURNS: dict[str, threading.RLock] = {}
_TURNS_GUARD = threading.Lock()


def _writers_turn(path: Path) -> threading.RLock:
    """The one write turn of this process for the database at `path`, shared by every store
    open on it (a test's windows each open their own)."""
    with _TURNS_GUARD:
        return _TURNS.setdefault(os.path.realpath(path), threading.RLock())


class QueueStore:
    """The queue on its SQLite file; one per process, safe to share between threads.

    Each thread has its own connection and no lock of ours guards a read: WAL lets readers
    (the board, a window's view, a token check) go on while a writer commits. A lock of ours
    held through each commit made every reader of the hall service wait for every writer's
    fsync. Writers of this process take turns (`writing`) before `BEGIN IMMEDIATE`, which
    with the busy timeout orders them against other processes: SQLite's busy wait polls the
    lock with sleeps of up to 100 ms, so among eight windows calling at once on a loaded
    machine one could lose every poll until its 10 s ran out ("database is locked")."""

    def __init__(self, path: Path | str, policy: QueuePolicy | None = None) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._opened: list[Database] = []
        self._opening = threading.Lock()  # guards `_opened` only, never a statement
        self._turn = _writers_turn(self.path)
        migrations.apply(self.db)
        self._secret = _load_secret(secret_path(path))
        self._admin_key = ""
        self.policy = policy or QueuePolicy()

    @property
    def db(self) -> Database:
        """This thread's connection, opened on its first use."""
        db: Database | None = getattr(self._local, "db", None)
        if db is None:
            db = Database(connect(self.path), execute_plugins=False)
            self._local.db = db
            with self._opening:
                self._opened.append(db)
        return db

    @contextlib.contextmanager
    def writing(self) -> Iterator[Database]:
        """One unit of work (`offline.db.write`) once this process's earlier writers are done:
        a blocked thread is woken when the turn is free, it does not poll for it."""
        with self._turn, write(self.db) as db:
            yield db

    def close(self) -> None:
        with self._opening:
            for db in self._opened:
                db.close()
            self._opened.clear()
        self._local = threading.local()

    # --- helpers ------------------------------------------------------------------------------

    def _event(
        self,
        ticket_id: int,
        event: str,
        window_no: int | None = None,
        clerk_id: str | None = None,
        **detail: Any,
    ) -> None:
        self.db.conn.execute(
            "INSERT INTO ticket_events (ticket_id, at, event, window_no, clerk_id, detail) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                ticket_id,
                now().isoformat(),
                event,
                window_no,
                clerk_id,
                json.dumps(detail, ensure_ascii=False),
            ],
        )

    def _ticket(self, where: str, args: list[Any]) -> Ticket | None:
        row = self.db.conn.execute(
            f"SELECT number, kind, state, green, issued_at, window_no FROM tickets WHERE {where}",
            args,
        ).fetchone()
        if row is None:
            return None
        number, kind, state, green, issued_at, window_no = row
        return Ticket(
            number=number,
            kind=kind,
            state=state,
            green_channel=bool(green),
            issued_at=datetime.fromisoformat(issued_at),
            window_no=window_no,
        )

    def _current(self, window_no: int) -> tuple[int, str] | None:
        row = self.db.conn.execute(
            "SELECT id, number FROM tickets WHERE window_no = ? AND state IN ('called', 'serving')",
            [window_no],
        ).fetchone()
        return (row[0], row[1]) if row else None

    # --- the kiosk ----------------------------------------------------------------------------

    def issue(self, kind: str, *, green: bool = False, id_number: str | None = None) -> Ticket:
        """A new ticket of `kind`; with the ID card read at the kiosk, one open per person."""
        prefix = self.policy.prefixes.get(kind)
        if prefix is None:
            raise QueueError(f"没有这类业务：{kind}")
        person = self.person_key(id_number) if id_number else None
        if not self.policy.open_at(kind, now()):
            spans = self.policy.hours.get(kind) or self.policy.hours["*"]
            raise QueueError(f"现在不是取号时间（取号时间 {spans.replace(',', '、')}）")
        day, at = now().date().isoformat(), now().isoformat()
        with self.writing():
            [(seq,)] = self.db.conn.execute(
                "INSERT INTO ticket_seq VALUES (?, ?, 1) ON CONFLICT (day, kind) DO UPDATE SET "
                "last = last + 1 RETURNING last",
                [day, kind],
            ).fetchall()
            cap = self.policy.caps.get(kind)
            if (cap and seq > cap) or seq > 999:
                raise QueueError("今日该业务的号已取完，请明天再来或咨询工作人员")
            number = f"{prefix}{seq:03d}"
            try:
                cursor = self.db.conn.execute(
                    "INSERT INTO tickets (day, kind, number, state, green, person, issued_at) "
                    "VALUES (?, ?, ?, 'issued', ?, ?, ?)",
                    [day, kind, number, int(green), person, at],
                )
            except sqlite3.IntegrityError:
                raise QueueError("您已有一个该业务的号在排队，请等待叫号") from None
            assert cursor.lastrowid is not None  # an INSERT always sets it
            self._event(cursor.lastrowid, "issued", green=green)
        return Ticket(
            number=number, kind=kind, green_channel=green, issued_at=datetime.fromisoformat(at)
        )

    # --- the window ---------------------------------------------------------------------------

    def call_next(self, window_no: int, kinds: list[str] | None, clerk_id: str) -> Ticket | None:
        """Finish the window's current ticket, as pressing 呼叫 does, and call the next one."""
        with self.writing():
            if self._paused(window_no):
                raise QueueError("本窗口已暂停服务，请先恢复服务再叫号")
            self._finish_current(window_no, clerk_id)
            row = self._next(window_no, kinds)
            if row is None:
                return None
            self.db.conn.execute(
                "UPDATE tickets SET state = 'called', window_no = ?, clerk_id = ?, called_at = ?"
                " WHERE id = ?",
                [window_no, clerk_id, now().isoformat(), row],
            )
            self._event(row, "called", window_no, clerk_id)
            return self._ticket("id = ?", [row])

    def _next(self, window_no: int, kinds: list[str] | None) -> int | None:
        day = now().date().isoformat()
        where = "day = ? AND state = 'issued' AND (window_no IS NULL OR window_no = ?)" + (
            f" AND kind IN ({', '.join('?' * len(kinds))})" if kinds else ""
        )
        args: list[Any] = [day, window_no, *(kinds or [])]
        fifo = self.db.conn.execute(
            f"SELECT id FROM tickets WHERE {where} ORDER BY id LIMIT 1", args
        ).fetchone()
        green = self.db.conn.execute(
            f"SELECT id FROM tickets WHERE {where} AND green = 1 ORDER BY id LIMIT 1", args
        ).fetchone()
        if green and self._green_turn(day):
            return green[0]
        return fifo[0] if fifo else None

    def _green_turn(self, day: str) -> bool:
        if self.policy.green == "first":
            return True
        return not any(self._recent_greens(day))  # none of the last n-1 calls was green

    def _recent_greens(self, day: str) -> list[bool]:
        """Whether each of the day's last n-1 calls was green, newest first."""
        return [
            bool(g)
            for (g,) in self.db.conn.execute(
                "SELECT t.green FROM ticket_events AS e JOIN tickets AS t ON t.id = e.ticket_id "
                "WHERE t.day = ? AND e.event = 'called' ORDER BY e.id DESC LIMIT ?",
                [day, max(self.policy.every - 1, 0)],
            )
        ]

    def _finish_current(self, window_no: int, clerk_id: str) -> None:
        current = self._current(window_no)
        if current:
            self.db.conn.execute(
                "UPDATE tickets SET state = 'finished', finished_at = ? WHERE id = ?",
                [now().isoformat(), current[0]],
            )
            self._event(current[0], "finished", window_no, clerk_id)

    def _with_current(
        self, window_no: int, clerk_id: str, state: str, event: str, **changes: Any
    ) -> Ticket:
        with self.writing():
            current = self._current(window_no)
            if current is None:
                raise QueueError("本窗口当前没有正在办理的号")
            sets = ", ".join(f"{k} = ?" for k in ("state", *changes))
            self.db.conn.execute(
                f"UPDATE tickets SET {sets} WHERE id = ?", [state, *changes.values(), current[0]]
            )
            self._event(current[0], event, window_no, clerk_id)
            return self._ticket("id = ?", [current[0]])  # type: ignore[return-value]

    def recall(self, window_no: int, clerk_id: str) -> Ticket:
        """重呼: the same ticket again (the announcer throttles repeats)."""
        with self.writing():
            current = self._current(window_no)
            if current is None:
                raise QueueError("本窗口当前没有可重呼的号")
            self.db.conn.execute(
                "UPDATE tickets SET recalls = recalls + 1 WHERE id = ?", [current[0]]
            )
            self._event(current[0], "recalled", window_no, clerk_id)
            return self._ticket("id = ?", [current[0]])  # type: ignore[return-value]

    def start(self, window_no: int, clerk_id: str) -> Ticket:
        """The citizen is at the window: service starts (walking time ends)."""
        return self._with_current(window_no, clerk_id, "serving", "serving")

    def no_show(self, window_no: int, clerk_id: str) -> Ticket:
        """过号: the citizen did not come."""
        return self._with_current(
            window_no, clerk_id, "no_show", "no_show", finished_at=now().isoformat()
        )

    def finish(self, window_no: int, clerk_id: str) -> Ticket:
        return self._with_current(
            window_no, clerk_id, "finished", "finished", finished_at=now().isoformat()
        )

    def park(self, window_no: int, clerk_id: str) -> Ticket:
        """挂起: the citizen went to copy a document; the window may call the next one."""
        return self._with_current(window_no, clerk_id, "parked", "parked")

    def call_back(self, window_no: int, number: str, clerk_id: str) -> Ticket:
        """回呼: a ticket this window parked, called again."""
        with self.writing():
            if self._current(window_no):
                raise QueueError("请先结束本窗口当前的号，再回呼挂起的号")
            row = self.db.conn.execute(
                "SELECT id FROM tickets WHERE day = ? AND number = ? AND state = 'parked' AND "
                "window_no = ?",
                [now().date().isoformat(), number, window_no],
            ).fetchone()
            if row is None:
                raise QueueError(f"本窗口没有挂起的 {number} 号")
            self.db.conn.execute(
                "UPDATE tickets SET state = 'called', called_at = ? WHERE id = ?",
                [now().isoformat(), row[0]],
            )
            self._event(row[0], "called_back", window_no, clerk_id)
            return self._ticket("id = ?", [row[0]])  # type: ignore[return-value]

    def transfer(
        self,
        window_no: int,
        clerk_id: str,
        *,
        kind: str | None = None,
        to_window: int | None = None,
    ) -> Ticket:
        """转移: back in the queue, keeping its number, for another kind and/or window."""
        if kind and kind not in self.policy.prefixes:
            raise QueueError(f"没有这类业务：{kind}")
        with self.writing():
            if to_window is not None:
                self._check_target(window_no, to_window)
            current = self._current(window_no)
            if current is None:
                raise QueueError("本窗口当前没有可转移的号")
            self.db.conn.execute(
                "UPDATE tickets SET state = 'issued', kind = COALESCE(?, kind), window_no = ?, "
                "called_at = NULL WHERE id = ?",
                [kind, to_window, current[0]],
            )
            self._event(
                current[0], "transferred", window_no, clerk_id, kind=kind, to_window=to_window
            )
            return self._ticket("id = ?", [current[0]])  # type: ignore[return-value]

    # --- admin --------------------------------------------------------------------------------

    def cancel(self, number: str, by: str) -> None:
        self._admin(number, by, "cancelled", ("issued", "parked"), "只能取消排队中或挂起的号")

    def reactivate(self, number: str, by: str) -> None:
        """An admin puts a no-show or cancelled ticket of today back in the queue."""
        self._admin(number, by, "issued", ("no_show", "cancelled"), "只能恢复过号或已取消的号")

    def _admin(
        self, number: str, by: str, state: str, allowed: tuple[str, ...], refusal: str
    ) -> None:
        with self.writing():
            row = self.db.conn.execute(
                "SELECT id, state FROM tickets WHERE day = ? AND number = ?",
                [now().date().isoformat(), number],
            ).fetchone()
            if row is None or row[1] not in allowed:
                raise QueueError(refusal)
            self.db.conn.execute(
                "UPDATE tickets SET state = ?, window_no = NULL, finished_at = NULL WHERE id = ?",
                [state, row[0]],
            )
            self._event(row[0], state, clerk_id=by)

    # --- pause, and what a window sees -------------------------------------------------------

    def pause(self, window_no: int, reason: str, clerk_id: str) -> None:
        """暂停服务: the window calls nobody until resumed; its current ticket stays."""
        if not reason.strip():
            raise QueueError("暂停服务须说明原因")
        if len(reason.strip()) > PAUSE_REASON_MAX:
            raise QueueError(f"暂停原因不能超过{PAUSE_REASON_MAX}个字")
        with self.writing():
            self.db.conn.execute(
                "INSERT OR REPLACE INTO pauses VALUES (?, ?, ?, ?)",
                [window_no, reason.strip(), now().isoformat(), clerk_id],
            )

    def resume(self, window_no: int, clerk_id: str) -> None:
        with self.writing():
            self.db.conn.execute("DELETE FROM pauses WHERE window_no = ?", [window_no])

    def _paused(self, window_no: int) -> str | None:
        row = self.db.conn.execute(
            "SELECT reason FROM pauses WHERE window_no = ?", [window_no]
        ).fetchone()
        return row[0] if row else None

    def parked(self, window_no: int) -> list[str]:
        """Numbers this window parked today, for 回呼."""
        rows = self.db.conn.execute(
            "SELECT number FROM tickets WHERE day = ? AND state = 'parked' AND window_no = ?"
            " ORDER BY id",
            [now().date().isoformat(), window_no],
        ).fetchall()
        return [r[0] for r in rows]

    def window_view(self, window_no: int) -> dict[str, Any]:
        """What the window's desk shows: its ticket, parked numbers, pause, and who waits (as
        counts per kind that it serves, never names)."""
        kinds = self.window_kinds(window_no)
        waiting = self.waiting()
        current = self.current(window_no)
        return {
            "current": current.model_dump(mode="json") if current else None,
            "parked": self.parked(window_no),
            "paused": self._paused(window_no),
            "kinds": kinds,
            "waiting": {k: n for k, n in waiting.items() if kinds is None or k in kinds},
            "windows": self.known_windows(),  # where 转移 may send a ticket
            "hall_kinds": self.served_kinds(),
        }

    # --- windows and the hall key ----------------------------------------------------------

    def set_window(self, window_no: int, kinds: list[str]) -> None:
        unknown = set(kinds) - set(self.policy.prefixes)
        if unknown:
            raise QueueError(f"没有这类业务：{'、'.join(sorted(unknown))}")
        with self.writing():
            self.db.conn.execute(
                "INSERT OR REPLACE INTO windows VALUES (?, ?)", [window_no, json.dumps(kinds)]
            )

    def known_windows(self) -> list[int]:
        """The hall's windows: those given their kinds, and those that have called a ticket or
        paused. A ticket sent anywhere else would never be called."""
        rows = self.db.conn.execute(
            "SELECT window_no FROM windows UNION SELECT window_no FROM pauses "
            "UNION SELECT window_no FROM ticket_events WHERE window_no IS NOT NULL "
            "ORDER BY 1"
        ).fetchall()
        return [r[0] for r in rows]

    def _check_target(self, window_no: int, to_window: int) -> None:
        if to_window == window_no:
            raise QueueError("不能转移到本窗口")
        known = self.known_windows()
        if to_window not in known:
            others = "、".join(str(n) for n in known if n != window_no) or "无"
            raise QueueError(f"没有{to_window}号窗口（本大厅其他窗口：{others}）")

    def window_kinds(self, window_no: int) -> list[str] | None:
        """The kinds a window serves; None (every kind) when it was never configured."""
        row = self.db.conn.execute(
            "SELECT kinds FROM windows WHERE window_no = ?", [window_no]
        ).fetchone()
        return json.loads(row[0]) if row else None

    def hall_key(self) -> str:
        """The admin key of the hall service; made on first use, then kept in memory."""
        if self._admin_key:
            return self._admin_key
        with self.writing():
            row = self.db.conn.execute(
                "SELECT value FROM hall_meta WHERE key = 'hall_key'"
            ).fetchone()
            if row is None:
                self.db.conn.execute(
                    "INSERT INTO hall_meta VALUES ('hall_key', ?)", [secrets.token_urlsafe(24)]
                )
                row = self.db.conn.execute(
                    "SELECT value FROM hall_meta WHERE key = 'hall_key'"
                ).fetchone()
        self._admin_key = str(row[0])
        return self._admin_key

    def person_key(self, id_number: str) -> str:
        """What the queue keeps of a person: an HMAC of the checked ID number with the
        hall's secret, so that one open ticket per person per kind holds, and `hall.db`
        alone tells nobody whose ticket it was (an ID number is guessable, the secret not)."""
        try:
            number = check_card_number(id_number)
        except IdentityError as error:
            raise QueueError(str(error)) from None
        return hmac.new(self._secret, number.encode(), hashlib.sha256).hexdigest()

    def add_token(self, role: Role, window_no: int | None = None, name: str = "") -> str:
        """A new token for a window (replacing its old one), a kiosk or a board; only its
        digest is kept, the token is returned once."""
        token = f"{role}-{secrets.token_urlsafe(24)}"
        with self.writing():
            if role == "window":
                self.db.conn.execute(
                    "DELETE FROM hall_tokens WHERE role = 'window' AND window_no = ?", [window_no]
                )
            self.db.conn.execute(
                "INSERT INTO hall_tokens VALUES (?, ?, ?, ?, ?)",
                [_digest(token), role, window_no, name, now().isoformat()],
            )
        return token

    def credential(self, key: str) -> Credential | None:
        """Who `key` is: the admin key, or a token issued here; None for anything else."""
        if not key:
            return None
        if hmac.compare_digest(key.encode(), self.hall_key().encode()):
            return Credential("admin")
        row = self.db.conn.execute(
            "SELECT role, window_no FROM hall_tokens WHERE digest = ?", [_digest(key)]
        ).fetchone()
        return Credential(row[0], row[1]) if row else None

    def backup(self, dest: Path) -> None:
        """A consistent copy of the queue and, beside it, the person-key secret (without
        it a restored hall could not keep "one open ticket per person")."""
        if dest.exists():
            raise TargetExists(f"目标文件已存在：{dest}")
        target = connect(dest)
        try:
            self.db.conn.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()
        fd = os.open(secret_path(dest), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(self._secret.hex() + "\n")

    def ahead_of(self, number: str) -> int:
        """How many of today's waiting tickets of its kind will be called before this one,
        by the centre's green-channel rule (a green ticket jumps ahead; others wait for the
        green ones already there)."""
        day = now().date().isoformat()
        row = self.db.conn.execute(
            "SELECT id, kind FROM tickets WHERE day = ? AND number = ? AND state = 'issued'",
            [day, number],
        ).fetchone()
        if row is None:
            return 0
        waiting = self.db.conn.execute(
            "SELECT id, green FROM tickets WHERE day = ? AND kind = ? AND state = 'issued' "
            "ORDER BY id",
            [day, row[1]],
        ).fetchall()
        recent = self._recent_greens(day)
        return self._calls_before(row[0], [(i, bool(g)) for i, g in waiting], recent)

    def _calls_before(
        self, target: int, waiting: list[tuple[int, bool]], recent: list[bool]
    ) -> int:
        """Play the calls forward from now (the same rule as `_next`) until `target` is called."""
        pending, recent, count = list(waiting), list(recent), 0
        while pending:
            greens = [t for t in pending if t[1]]
            turn = self.policy.green == "first" or not any(recent[: self.policy.every - 1])
            pick = greens[0] if greens and turn else pending[0]
            if pick[0] == target:
                return count
            count += 1
            pending.remove(pick)
            recent.insert(0, pick[1])
        return count

    def windows_now(self) -> dict[int, str]:
        """Each window's current number (for the hall board)."""
        rows = self.db.conn.execute(
            "SELECT window_no, number FROM tickets WHERE state IN ('called', 'serving')"
        ).fetchall()
        return dict(rows)

    # --- what boards and reports show -----------------------------------------------------------

    def served_kinds(self) -> list[str]:
        """The kinds some window serves, for the kiosk: all of them while a window serves all."""
        rows = [r[0] for r in self.db.conn.execute("SELECT kinds FROM windows").fetchall()]
        served = {k for row in rows for k in json.loads(row)}
        if not rows or not served:
            return list(self.policy.prefixes)
        return [k for k in self.policy.prefixes if k in served]

    def board(self, calls: int = 8) -> dict[str, Any]:
        """The hall board: the latest calls, each window's number or pause, who waits per kind
        (numbers only, never a name)."""
        recent = self.db.conn.execute(
            "SELECT t.number, e.window_no, e.at FROM ticket_events e "
            "JOIN tickets t ON t.id = e.ticket_id "
            "WHERE t.day = ? AND e.event IN ('called', 'recalled', 'called_back') "
            "ORDER BY e.id DESC LIMIT ?",
            [now().date().isoformat(), calls],
        ).fetchall()
        paused = [r[0] for r in self.db.conn.execute("SELECT window_no FROM pauses")]
        windows = {
            n: {"number": number, "paused": False} for n, number in self.windows_now().items()
        }
        for n in paused:  # the reason is the clerk's, not the hall's
            windows.setdefault(n, {"number": None, "paused": False})["paused"] = True
        return {
            "calls": [{"number": n, "window_no": w, "at": at} for n, w, at in recent],
            "windows": {str(n): windows[n] for n in sorted(windows)},
            "waiting": self.waiting(),
            "last_event": self.last_event_id(),  # where a live stream takes over
        }

    def events_after(self, last_id: int, limit: int = 100) -> list[dict[str, Any]]:
        """Ticket events after `last_id`, for the live stream: what happened to which number
        at which window, never who the citizen or the clerk is."""
        rows = self.db.conn.execute(
            "SELECT e.id, e.at, e.event, t.number, t.kind, e.window_no FROM ticket_events e "
            "JOIN tickets t ON t.id = e.ticket_id WHERE e.id > ? ORDER BY e.id LIMIT ?",
            [last_id, limit],
        ).fetchall()
        keys = ("id", "at", "event", "number", "kind", "window_no")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def last_event_id(self) -> int:
        return self.db.conn.execute("SELECT COALESCE(MAX(id), 0) FROM ticket_events").fetchone()[0]

    def waiting(self) -> dict[str, int]:
        """Tickets waiting today, per kind (numbers only, never who)."""
        rows = self.db.conn.execute(
            "SELECT kind, COUNT(*) FROM tickets WHERE day = ? AND state = 'issued' GROUP BY kind",
            [now().date().isoformat()],
        ).fetchall()
        return dict(rows)

    def current(self, window_no: int) -> Ticket | None:
        return self._ticket("window_no = ? AND state IN ('called', 'serving')", [window_no])

    def report(self, day: str) -> list[dict[str, Any]]:
        """Per window and clerk: tickets served, no-shows, mean waiting and service minutes."""
        rows = self.db.conn.execute(
            """
            SELECT window_no, clerk_id, COUNT(*) AS tickets,
                   SUM(state = 'no_show') AS no_shows,
                   AVG((julianday(called_at) - julianday(issued_at)) * 1440) AS wait_min,
                   AVG(CASE WHEN state = 'finished' THEN
                       (julianday(finished_at) - julianday(called_at)) * 1440 END) AS service_min
            FROM tickets WHERE day = ? AND called_at IS NOT NULL
            GROUP BY window_no, clerk_id ORDER BY window_no, clerk_id
            """,
            [day],
        )
        keys = [c[0] for c in rows.description]
        return [dict(zip(keys, row, strict=True)) for row in rows.fetchall()]
