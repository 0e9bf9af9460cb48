"""What both of our HTTP services (the hall queue, the reference platform) need from their
ASGI server, in one place: uvicorn with a receipt deadline and connection caps, run in a
thread (tests, the demo) or as the process (`clerk hall serve`, `clerk platform serve`).

uvicorn alone does not bound the time a client takes to send its headers: its keep-alive
timer is not armed on a fresh connection and is cancelled by the first byte (uvicorn issue
#157), so a client that trickles a header byte every few seconds holds its connection for
ever, and a thousand of them starve everyone else. `GuardedH11Protocol` arms a deadline
whenever the server waits for a request's headers, another while it waits for the body, and
refuses connections beyond a cap per client address and in all.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from offline.problems import reason


@dataclass(frozen=True)
class Limits:
    """How long and how many: seconds to receive a request's headers (also the idle time
    allowed between requests), seconds to receive its body, open connections per client
    address and in all, seconds open streams get to close on shutdown."""

    header_timeout: float = 10.0
    body_timeout: float = 60.0
    per_peer: int = 64
    connections: int = 512
    graceful: float = 2.0


def _where(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "path", "query", "header")]
    return ".".join(parts) or "请求体"


def explain(errors: list[dict[str, Any]]) -> str:
    """One Chinese sentence for pydantic's errors: `field：problem；…`."""
    said = [f"{_where(error.get('loc', ()))}：{reason(error)}" for error in errors[:5]]
    return "请求格式不正确：" + "；".join(said)


BAD_REQUEST = json.dumps(
    {"error": "请求格式不正确", "message": "请求格式不正确"}, ensure_ascii=False
).encode()


class GuardedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a receipt deadline and connection caps (`limits`)."""

    limits = Limits()
    _deadline: asyncio.TimerHandle | None = None
    _phase: Any = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        peer = _peer(self)
        same = sum(1 for c in self.connections if _peer(c) == peer)
        if len(self.connections) > self.limits.connections or same > self.limits.per_peer:
            transport.close()  # refused at once: it holds nothing
            return
        self._watch()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        self._watch()

    def on_response_complete(self) -> None:
        self._phase = None
        super().on_response_complete()
        self._watch()

    def send_400_response(self, msg: str) -> None:
        """A malformed request (a negative Content-Length, a broken header) is answered in
        Chinese and the connection closed."""
        headers = [
            (b"content-type", b"application/json; charset=utf-8"),
            (b"content-length", str(len(BAD_REQUEST)).encode()),
            (b"connection", b"close"),
        ]
        with contextlib.suppress(h11.LocalProtocolError):
            for event in (
                h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
                h11.Data(data=BAD_REQUEST),
                h11.EndOfMessage(),
            ):
                self.transport.write(self.conn.send(event) or b"")
        self.transport.close()

    def _watch(self) -> None:
        """Arm the deadline that fits what the server is waiting for now."""
        state = self.conn.their_state
        if state is self._phase or self.transport.is_closing():
            return
        self._phase = state
        if state is h11.IDLE:
            self._arm(self.limits.header_timeout)
        elif state is h11.SEND_BODY:
            self._arm(self.limits.body_timeout)
        else:
            self._disarm()  # the request is in: the application has it

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()


def _peer(protocol: object) -> str | None:
    client = getattr(protocol, "client", None)
    return str(client[0]) if client else None


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound before serving so that port 0 can be reported."""
    sock = socket.create_server((host, port), reuse_port=False, backlog=2048)
    sock.set_inheritable(True)
    return sock


class _Server(uvicorn.Server):
    """Tells the application when the server is asked to stop (SIGTERM or `stop()`), so that
    its open event streams end at once instead of holding the shutdown."""

    on_exit: Callable[[], None] = staticmethod(lambda: None)

    def handle_exit(self, sig: int, frame: Any) -> None:
        self.on_exit()
        super().handle_exit(sig, frame)


def _config(app: Any, limits: Limits, tls: tuple[str, str] | None = None) -> uvicorn.Config:
    """uvicorn's settings; `tls` is (certificate chain file, key file) for https."""
    protocol = type("Guarded", (GuardedH11Protocol,), {"limits": limits})
    cert, key = tls or (None, None)
    return uvicorn.Config(
        app,
        ssl_certfile=cert,
        ssl_keyfile=key,
        http=protocol,
        lifespan="on",
        log_level="warning",
        access_log=False,
        timeout_keep_alive=max(1, int(limits.header_timeout)),
        timeout_graceful_shutdown=max(1, int(limits.graceful)),
    )


def run(
    app: Any, sock: socket.socket, limits: Limits, on_exit: Callable[[], None] = lambda: None
) -> None:
    """Serve until SIGTERM or SIGINT (the process's main thread): open streams are told to
    end, connections drained within `limits.graceful` seconds, then the application's
    lifespan closes what it holds."""
    server = _Server(_config(app, limits))
    server.on_exit = on_exit
    server.run(sockets=[sock])


class Running:
    """A service in a background thread, for tests and the demo. `shutdown()` stops it and
    waits; `server_close()` is kept for callers written for `http.server`."""

    def __init__(
        self,
        app: Any,
        host: str = "127.0.0.1",
        port: int = 0,
        limits: Limits | None = None,
        on_exit: Callable[[], None] = lambda: None,
        tls: tuple[str, str] | None = None,
    ) -> None:
        self.sock = bind(host, port)
        self.server_address = self.sock.getsockname()[:2]
        self.scheme = "https" if tls else "http"
        self._server = _Server(_config(app, limits or Limits(), tls))
        self._on_exit = on_exit
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )
        self._thread.start()
        while not self._server.started and self._thread.is_alive():
            self._thread.join(0.01)

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.server_address[0]}:{self.server_address[1]}"

    @property
    def connections(self) -> int:
        """Connections open now (for the tests of the caps)."""
        return len(self._server.server_state.connections)

    @property
    def requests(self) -> int:
        """Requests answered so far (for the benchmarks)."""
        return self._server.server_state.total_requests

    def shutdown(self) -> None:
        self._on_exit()
        self._server.should_exit = True
        self._thread.join(10)

    def server_close(self) -> None:
        self.sock.close()
