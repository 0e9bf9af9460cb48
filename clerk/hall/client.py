"""The desk's side of the hall queue: the same calls, embedded or over the hall LAN.

A hall with one window runs the queue inside the window client (`EmbeddedHall`); a hall with
a `clerk hall serve` machine is reached over HTTP (`RemoteHall`). Both raise `HallError` with
a Chinese message when a step is refused, and `HallOffline` when the service cannot be
reached, which the desk shows as a state and not as an error.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
from httpx_sse import SSEError, connect_sse

from clerk.hall.calls import Calls
from offline.models import Ticket
from offline.queue import QueueError, QueueStore
from usererror import UserError


def as_ticket(data: dict[str, Any]) -> Ticket:
    """A ticket from a hall answer, without the answer's extras (`ahead`, `announced`)."""
    return Ticket.model_validate({k: v for k, v in data.items() if k in Ticket.model_fields})


class HallError(UserError):
    """A queue step refused; `str()` says why, in Chinese."""


class HallOffline(HallError):
    """The hall service cannot be reached."""


@dataclass(frozen=True)
class WindowView:
    current: Ticket | None = None
    parked: list[str] = field(default_factory=list)
    paused: str | None = None
    waiting: dict[str, int] = field(default_factory=dict)
    windows: list[int] = field(default_factory=list)  # the hall's windows (for 转移)
    hall_kinds: list[str] = field(default_factory=list)  # the kinds some window serves

    @classmethod
    def of(cls, data: dict[str, Any]) -> WindowView:
        current = data.get("current")
        return cls(
            current=as_ticket(current) if current else None,
            parked=list(data.get("parked", [])),
            paused=data.get("paused"),
            waiting=dict(data.get("waiting", {})),
            windows=[int(n) for n in data.get("windows", [])],
            hall_kinds=[str(k) for k in data.get("hall_kinds", [])],
        )


@dataclass(frozen=True)
class Issued:
    """A ticket as the kiosk prints it: with how many of its kind wait before it."""

    ticket: Ticket
    ahead: int


class Hall(Protocol):
    def view(self, window: int) -> WindowView: ...
    def call_next(self, window: int, clerk: str) -> Ticket | None: ...
    def step(self, window: int, action: str, clerk: str) -> Ticket: ...
    def call_back(self, window: int, number: str, clerk: str) -> Ticket: ...
    def transfer(
        self, window: int, clerk: str, kind: str | None, to_window: int | None
    ) -> Ticket: ...
    def pause(self, window: int, reason: str, clerk: str) -> None: ...
    def resume(self, window: int, clerk: str) -> None: ...
    def issue(self, kind: str, green: bool = False, id_number: str | None = None) -> Issued: ...
    def kinds(self) -> list[str]: ...
    def board(self) -> dict[str, Any]: ...
    def events(self, stop: threading.Event, after: int | None = None) -> Iterator[dict]: ...


STEPS = {"recall", "start", "no-show", "park", "finish"}


class EmbeddedHall:
    """The queue in this process, announcing through the window's own voice."""

    def __init__(self, store: QueueStore, calls: Calls) -> None:
        self.store, self.calls = store, calls

    def _do(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except QueueError as error:
            raise HallError(str(error)) from error

    def view(self, window: int) -> WindowView:
        return WindowView.of(self.store.window_view(window))

    def call_next(self, window: int, clerk: str) -> Ticket | None:
        kinds = self.store.window_kinds(window)
        ticket = self._do(self.store.call_next, window, kinds, clerk)
        if ticket:
            self.calls.announce(ticket, window)
        return ticket

    def step(self, window: int, action: str, clerk: str) -> Ticket:
        assert action in STEPS
        ticket = self._do(getattr(self.store, action.replace("-", "_")), window, clerk)
        if action == "recall":
            self.calls.announce(ticket, window, again=True)
        return ticket

    def call_back(self, window: int, number: str, clerk: str) -> Ticket:
        ticket = self._do(self.store.call_back, window, number, clerk)
        self.calls.announce(ticket, window)
        return ticket

    def transfer(self, window: int, clerk: str, kind: str | None, to_window: int | None) -> Ticket:
        return self._do(self.store.transfer, window, clerk, kind=kind, to_window=to_window)

    def pause(self, window: int, reason: str, clerk: str) -> None:
        self._do(self.store.pause, window, reason, clerk)

    def resume(self, window: int, clerk: str) -> None:
        self.store.resume(window, clerk)

    def issue(self, kind: str, green: bool = False, id_number: str | None = None) -> Issued:
        ticket = self._do(self.store.issue, kind, green=green, id_number=id_number)
        return Issued(ticket, self.store.ahead_of(ticket.number))

    def kinds(self) -> list[str]:
        return self.store.served_kinds()

    def board(self) -> dict[str, Any]:
        return self.store.board()

    def events(self, stop: threading.Event, after: int | None = None) -> Iterator[dict]:
        last = self.store.last_event_id() if after is None else after
        while not stop.is_set():
            for event in self.store.events_after(last):
                last = event["id"]
                yield event
            stop.wait(0.2)


class RemoteHall:
    """`clerk hall serve` over the LAN (docs/hall-api.md); the hall announces the calls."""

    def __init__(self, url: str, key: str, timeout: float = 3.0, ca_file: str = "") -> None:
        from offline import tls

        self.url = url.rstrip("/")
        self.client = httpx.Client(
            timeout=timeout, headers={"X-Hall-Key": key}, verify=tls.context(ca_file)
        )

    def close(self) -> None:
        self.client.close()

    def _ask(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            response = self.client.request(method, self.url + path, json=body)
        except httpx.TransportError as error:
            from offline.tls import transport_problem

            raise HallOffline(f"叫号服务连接不上：{transport_problem(error)}") from error
        try:
            data = response.json()
        except ValueError as error:
            raise HallOffline(f"叫号服务应答无效（{response.status_code}）") from error
        if response.status_code == 404 and path.endswith("/call"):
            return None
        if response.status_code >= 400:
            raise HallError(data.get("error", f"叫号服务出错（{response.status_code}）"))
        return data

    def _ticket(self, path: str, body: dict[str, Any]) -> Ticket:
        return as_ticket(self._ask("POST", path, body))

    def view(self, window: int) -> WindowView:
        return WindowView.of(self._ask("GET", f"/windows/{window}"))

    def call_next(self, window: int, clerk: str) -> Ticket | None:
        data = self._ask("POST", f"/windows/{window}/call", {"clerk_id": clerk})
        return as_ticket(data) if data else None

    def step(self, window: int, action: str, clerk: str) -> Ticket:
        assert action in STEPS
        return self._ticket(f"/windows/{window}/{action}", {"clerk_id": clerk})

    def call_back(self, window: int, number: str, clerk: str) -> Ticket:
        return self._ticket(f"/windows/{window}/call-back", {"clerk_id": clerk, "number": number})

    def transfer(self, window: int, clerk: str, kind: str | None, to_window: int | None) -> Ticket:
        body = {"clerk_id": clerk, "kind": kind, "to_window": to_window}
        return self._ticket(f"/windows/{window}/transfer", body)

    def pause(self, window: int, reason: str, clerk: str) -> None:
        self._ask("POST", f"/windows/{window}/pause", {"clerk_id": clerk, "reason": reason})

    def resume(self, window: int, clerk: str) -> None:
        self._ask("POST", f"/windows/{window}/resume", {"clerk_id": clerk})

    def issue(self, kind: str, green: bool = False, id_number: str | None = None) -> Issued:
        body = {"kind": kind, "green": green, "id_number": id_number}
        data = self._ask("POST", "/tickets", body)
        return Issued(as_ticket(data), int(data.get("ahead", 0)))

    def kinds(self) -> list[str]:
        return list(self._ask("GET", "/kinds")["kinds"])

    def board(self) -> dict[str, Any]:
        return dict(self._ask("GET", "/board/state"))

    def events(self, stop: threading.Event, after: int | None = None) -> Iterator[dict]:
        """The hall's event stream (server-sent events); `HallOffline` when it breaks, and
        the caller reconnects with the last id it saw."""
        params = {} if after is None else {"after": after}
        timeout = httpx.Timeout(5.0, read=40.0)  # the service sends a heartbeat every 15 s
        url = self.url + "/events"
        try:
            with connect_sse(self.client, "GET", url, params=params, timeout=timeout) as source:
                if source.response.status_code != 200:
                    raise HallError(f"叫号服务拒绝了事件订阅（{source.response.status_code}）")
                for event in source.iter_sse():
                    if stop.is_set():
                        return
                    if event.event == "ticket":
                        yield event.json()
        except (httpx.TransportError, SSEError, ValueError) as error:
            if stop.is_set():
                return  # closed on purpose
            raise HallOffline("与叫号服务的连接中断") from error


def follow(
    hall: Hall,
    stop: threading.Event,
    on_event: Callable[[dict], None],
    on_board: Callable[[dict | None], None],
    retry: float = 2.0,
) -> None:
    """Follow the hall until `stop`: the board as it is on (re)connecting, then each event.
    After a break it reconnects from the last event seen, so nothing in between is missed;
    `on_board(None)` while the service is away."""
    last: int | None = None
    while not stop.is_set():
        try:
            board = hall.board()
            on_board(board)
            last = board.get("last_event") if last is None else last
            for event in hall.events(stop, after=last):
                last = event["id"]
                on_event(event)
        except HallError:
            if stop.is_set():
                return
            on_board(None)
            stop.wait(retry)
        except Exception:
            if stop.is_set():  # the program is closing its hall under us: that is the end
                return
            raise
