"""A misbehaving platform for tests, over real HTTP on loopback.

`Misbehaving(upstream_url)` is a reverse proxy in front of the reference platform: every
request goes through unchanged, except those a rule catches. Rules are the ways a broken
platform, proxy or middlebox has been seen to answer: a 409 that never moves the offset, a
change feed that says `more: true` with the same cursor for ever, headers that are not
numbers, changes that break the contract, redirects. Each rule counts its hits, and `log`
records every request, so a test can assert that the client stopped, and when.

    bad = Misbehaving(url)
    bad.offset_loop()                      # every chunk: 409, Upload-Offset 0
    bad.inject_changes([{...}])            # these ride along on the next page of /changes
    bad.rewrite_changes(spoil)             # the next page's changes as `spoil` returns them
    target = Platform(bad.url, device_id, token)

A test double, so the standard library's server is enough here; the product's servers are
not built this way.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import httpx


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    platform: bool = True  # carry X-Platform-Api: 1

    @classmethod
    def of(cls, response: httpx.Response) -> Reply:
        keep = {k: v for k, v in response.headers.items() if k.lower() not in _HOP}
        return cls(response.status_code, response.content, keep, platform=False)


_HOP = {"content-length", "transfer-encoding", "connection", "content-encoding", "date", "server"}


@dataclass
class Request:
    method: str
    path: str  # below the base path, e.g. /blobs/ab…
    query: str
    headers: dict[str, str]
    body: bytes
    forward: Callable[[], httpx.Response]


Respond = Callable[[Request], Reply]


@dataclass
class Rule:
    method: str
    path: re.Pattern[str]
    respond: Respond
    times: int | None = None  # None: for ever
    hits: int = 0


class Misbehaving:
    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.base = parts.path.rstrip("/")
        self.client = httpx.Client(base_url=upstream.rstrip("/"), timeout=30)
        self.rules: list[Rule] = []
        self.log: list[tuple[str, str, int]] = []
        self._lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"owner": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{self.base}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.client.close()

    def count(self, method: str, prefix: str) -> int:
        return sum(1 for m, p, _ in self.log if m == method and p.startswith(prefix))

    # --- rules ------------------------------------------------------------------------------

    def on(self, method: str, path: str, respond: Respond, times: int | None = None) -> Rule:
        rule = Rule(method, re.compile(path), respond, times)
        self.rules.append(rule)
        return rule

    def offset_loop(self, offset: str = "0") -> Rule:
        """Every chunk answered 409 with the same `Upload-Offset` (a proxy replaying state)."""
        return self.on("PUT", r"^/blobs/", lambda r: _problem(409, {"Upload-Offset": offset}))

    def bad_offset(self, value: str, status: int = 409) -> Rule:
        """Chunks answered with an `Upload-Offset` that is not a usable number."""
        return self.on("PUT", r"^/blobs/", lambda r: _problem(status, {"Upload-Offset": value}))

    def changes_loop(self, cursor: str = "7") -> Rule:
        """`/changes` says there is more, and never moves its cursor."""
        body = json.dumps({"changes": [], "cursor": cursor, "more": True}).encode()
        return self.on("GET", r"^/changes$", lambda r: Reply(200, body, _JSON))

    def inject_changes(self, extra: list[dict], times: int | None = 1) -> Rule:
        """The platform's next page of changes, with `extra` in front of what it holds."""
        return self.rewrite_changes(lambda changes: extra + changes, times)

    def rewrite_changes(
        self, change: Callable[[list[dict]], list[dict]], times: int | None = 1
    ) -> Rule:
        """`GET /changes` goes through, and its page's changes are rewritten by `change`."""

        def respond(request: Request) -> Reply:
            page = request.forward().json()
            page["changes"] = change(page["changes"])
            return Reply(200, json.dumps(page, ensure_ascii=False).encode(), _JSON)

        return self.on("GET", r"^/changes$", respond, times)

    def redirect(self, method: str, path: str, to: str = "http://127.0.0.1:9/") -> Rule:
        return self.on(method, path, lambda r: Reply(302, b"", {"Location": to}))

    def results(self, change: Callable[[list[dict]], list[dict]], times: int | None = 1) -> Rule:
        """`POST /ops` goes through, and its results are rewritten by `change`."""

        def respond(request: Request) -> Reply:
            results = change(request.forward().json()["results"])
            return Reply(200, json.dumps({"results": results}).encode(), _JSON)

        return self.on("POST", r"^/ops$", respond, times)

    # --- serving ----------------------------------------------------------------------------

    def handle(self, request: Request) -> Reply:
        with self._lock:
            rule = next(
                (
                    r
                    for r in self.rules
                    if r.method == request.method
                    and r.path.search(request.path)
                    and (r.times is None or r.hits < r.times)
                ),
                None,
            )
            if rule:
                rule.hits += 1
        reply = rule.respond(request) if rule else Reply.of(request.forward())
        with self._lock:
            self.log.append((request.method, request.path, reply.status))
        return reply


_JSON = {"Content-Type": "application/json; charset=utf-8"}


def _problem(status: int, headers: dict[str, str]) -> Reply:
    body = json.dumps({"status": status, "code": "offset_mismatch"}).encode()
    return Reply(status, body, {"Content-Type": "application/problem+json", **headers})


class _Handler(BaseHTTPRequestHandler):
    owner: Misbehaving

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        path = parts.path.removeprefix(self.owner.base)
        length = int(self.headers.get("Content-Length", 0) or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP | {"host"}}
        if self.headers.get("Content-Encoding"):
            headers["Content-Encoding"] = self.headers["Content-Encoding"]

        def forward() -> httpx.Response:
            url = path + (f"?{parts.query}" if parts.query else "")
            return self.owner.client.request(self.command, url, headers=headers, content=body)

        reply = self.owner.handle(Request(self.command, path, parts.query, headers, body, forward))
        self.send_response(reply.status)
        if reply.platform:
            self.send_header("X-Platform-Api", "1")
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    do_GET = do_POST = do_PUT = do_HEAD = _serve
