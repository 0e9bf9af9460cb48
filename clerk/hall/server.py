"""`clerk hall serve`: the hall queue over HTTP on the LAN (stdlib `http.server`).

Every request carries the hall key in `X-Hall-Key`. The API is documented in
`docs/hall-api.md`. Answers are JSON; an error is `{"error": "<Chinese message>"}`.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import ThreadingHTTPServer
from typing import Any

from devices.base import Voice
from offline.clock import now
from offline.lan_http import QuietHandler
from offline.models import Ticket
from offline.queue import QueueError, QueueStore

ACTIONS = {"recall", "start", "no-show", "park", "finish"}
POLL = 0.1  # seconds between looks for new events in a stream
HEARTBEAT = 15.0


def _ticket(ticket: Ticket | None, store: QueueStore) -> dict[str, Any] | None:
    if ticket is None:
        return None
    data = ticket.model_dump(mode="json")
    if ticket.state == "issued":
        data["ahead"] = store.ahead_of(ticket.number)
    return data


class Calls:
    """The hall's one voice: every call is announced once; a re-call of the same ticket
    within `gap` seconds is not, so a clerk pressing 重呼 repeatedly cannot flood the hall."""

    def __init__(self, announcer: Voice | None, gap: float = 30.0) -> None:
        self.announcer, self.gap = announcer, gap
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def announce(self, ticket: Ticket, window_no: int, *, again: bool = False) -> bool:
        if self.announcer is None:
            return False
        with self._lock:
            last = self._last.get(ticket.number)
            if again and last is not None and time.monotonic() - last < self.gap:
                return False
            self._last[ticket.number] = time.monotonic()
        self.announcer.announce(ticket.number, window_no)
        return True


class HallHandler(QuietHandler):
    store: QueueStore
    key: str
    calls: Calls

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorised(self) -> bool:
        if self.headers.get("X-Hall-Key") != self.key:
            self._send(401, {"error": "叫号服务密钥不正确"})
            return False
        return True

    def _json(self) -> dict[str, Any]:
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
        data = json.loads(raw or b"{}")
        if not isinstance(data, dict):
            raise ValueError("body must be an object")
        return data

    def do_GET(self) -> None:
        if not self._authorised():
            return
        if self.path == "/status":
            self._send(
                200,
                {
                    "waiting": self.store.waiting(),
                    "windows": {str(k): v for k, v in self.store.windows_now().items()},
                },
            )
        elif self.path == "/board":
            self._send(200, self.store.board())
        elif self.path == "/kinds":
            self._send(200, {"kinds": self.store.served_kinds()})
        elif match := re.match(r"^/events(?:\?after=(\d+))?$", self.path):
            self._stream(match.group(1))
        elif match := re.match(r"^/windows/(\d+)$", self.path):
            self._send(200, self.store.window_view(int(match.group(1))))
        elif match := re.match(r"^/report(?:\?date=(\d{4}-\d{2}-\d{2}))?$", self.path):
            day = match.group(1) or now().date().isoformat()
            self._send(200, {"date": day, "rows": self.store.report(day)})
        else:
            self._send(404, {"error": "没有这个接口"})

    def _stream(self, after: str | None) -> None:
        """Server-sent events: every ticket event as it happens, from `after` (or the
        `Last-Event-ID` a reconnecting client sends), else from now. A comment every
        `HEARTBEAT` seconds keeps proxies from closing an idle stream."""
        resume = after or self.headers.get("Last-Event-ID")
        last = int(resume) if resume and resume.isdigit() else self.store.last_event_id()
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.close_connection = True
        quiet_since = time.monotonic()
        stopping: threading.Event = self.server.stopping  # type: ignore[attr-defined]
        try:
            while not stopping.is_set():
                events = self.store.events_after(last)
                for event in events:
                    last = event["id"]
                    data = json.dumps(event, ensure_ascii=False)
                    self.wfile.write(f"id: {last}\nevent: ticket\ndata: {data}\n\n".encode())
                if events or time.monotonic() - quiet_since > HEARTBEAT:
                    if not events:
                        self.wfile.write(b": \n\n")
                    self.wfile.flush()
                    quiet_since = time.monotonic()
                stopping.wait(POLL)
        except (ConnectionError, OSError):
            pass  # the board went away

    def do_POST(self) -> None:
        if not self._authorised():
            return
        try:
            body = self._json()
            self._send(*self._post(body))
        except QueueError as error:
            self._send(409, {"error": str(error)})
        except (ValueError, KeyError, TypeError):
            self._send(400, {"error": "请求格式不正确"})

    def _post(self, body: dict[str, Any]) -> tuple[int, Any]:
        store = self.store
        if self.path == "/tickets":
            ticket = store.issue(
                body["kind"], green=bool(body.get("green")), id_number=body.get("id_number")
            )
            return 201, _ticket(ticket, store)
        match = re.match(r"^/windows/(\d+)/([a-z-]+)$", self.path)
        if not match:
            return 404, {"error": "没有这个接口"}
        window, action = int(match.group(1)), match.group(2)
        clerk = str(body.get("clerk_id", ""))
        if action == "kinds":
            store.set_window(window, list(body["kinds"]))
            return 200, {"window": window, "kinds": body["kinds"]}
        if action == "pause":
            store.pause(window, str(body.get("reason", "")), clerk)
            return 200, store.window_view(window)
        if action == "resume":
            store.resume(window, clerk)
            return 200, store.window_view(window)
        if action == "call":
            called = store.call_next(window, store.window_kinds(window), clerk)
            if called is None:
                return 404, {"error": "没有人在排队"}
            return 200, self._announced(called, window)
        if action == "call-back":
            return 200, self._announced(store.call_back(window, body["number"], clerk), window)
        if action == "recall":
            return 200, self._announced(store.recall(window, clerk), window, again=True)
        if action == "transfer":
            moved = store.transfer(
                window, clerk, kind=body.get("kind"), to_window=body.get("to_window")
            )
            return 200, _ticket(moved, store)
        if action in ACTIONS - {"recall"}:
            step = getattr(store, action.replace("-", "_"))
            return 200, _ticket(step(window, clerk), store)
        return 404, {"error": "没有这个操作"}

    def _announced(self, ticket: Ticket, window: int, again: bool = False) -> dict[str, Any]:
        data = _ticket(ticket, self.store) or {}
        data["announced"] = self.calls.announce(ticket, window, again=again)
        return data


class HallServer(ThreadingHTTPServer):
    """Ends its event streams when it is closed."""

    daemon_threads = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.stopping = threading.Event()
        super().__init__(*args, **kwargs)

    def server_close(self) -> None:
        self.stopping.set()
        super().server_close()


def serve_in_thread(
    store: QueueStore, host: str = "127.0.0.1", port: int = 0, calls: Calls | None = None
) -> tuple[HallServer, str]:
    server = make_server(store, host, port, calls)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    bound_host, bound_port = server.server_address[:2]
    assert isinstance(bound_host, str)  # an AF_INET server's address
    return server, f"http://{bound_host}:{bound_port}"


def make_server(store: QueueStore, host: str, port: int, calls: Calls | None = None) -> HallServer:
    handler = type(
        "BoundHall",
        (HallHandler,),
        {"store": store, "key": store.hall_key(), "calls": calls or Calls(None)},
    )
    return HallServer((host, port), handler)
