"""The reference platform over HTTP (stdlib `http.server`), under `/api/v1`.

Every answer carries `X-Platform-Api: 1`; errors are `application/problem+json` with a `code`.
One reading of the contract: an intermediate blob chunk is answered `202` with `Upload-Offset`
(the contract names only the final `201`, the `409` and the `422`).
"""

from __future__ import annotations

import gzip
import json
import re
import threading
from datetime import date
from http import HTTPStatus
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import chinese_calendar

from offline.catalog import demo_catalog
from offline.lan_http import QuietHandler
from offline.platform.store import MAX_BLOB, MAX_CHUNK, PlatformStore

PREFIX = "/api/v1"
MAX_OPS, MAX_BODY = 200, 4 * 1024 * 1024
_BLOB = re.compile(r"^/blobs/([0-9a-f]{64})$")
_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")
BLOB_TYPES = {"application/pdf", "image/jpeg", "image/png", "image/tiff"}


def calendar_year(year: int) -> dict | None:
    """The exceptions to Monday-Friday of `year`, from the packaged calendar."""
    start = date(year, 1, 1)
    try:
        chinese_calendar.is_workday(start)
    except NotImplementedError:
        return None
    days = []
    for n in range(366):
        day = date.fromordinal(start.toordinal() + n)
        if day.year != year:
            break
        workday = chinese_calendar.is_workday(day)
        if workday != (day.weekday() < 5):
            name = chinese_calendar.get_holiday_detail(day)[1] or ""
            days.append(
                {
                    "date": day.isoformat(),
                    "workday": workday,
                    "name": "调休上班" if workday else (name or "休息"),
                }
            )
    return {"year": year, "version": f"{year}-v1", "days": days}


class Handler(QuietHandler):
    store: PlatformStore

    # --- plumbing -----------------------------------------------------------------------------

    def _send(
        self,
        status: int,
        body: Any = None,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> None:
        data = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
        if len(data) > 1024 and "gzip" in self.headers.get("Accept-Encoding", ""):
            data = gzip.compress(data)
            headers = {**(headers or {}), "Content-Encoding": "gzip"}
        self.send_response(status)
        self.send_header("X-Platform-Api", "1")
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if "Content-Length" not in (headers or {}):
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _problem(
        self, status: int, code: str, detail: str, headers: dict[str, str] | None = None
    ) -> None:
        body = {
            "type": "about:blank",
            "title": HTTPStatus(status).phrase,
            "status": status,
            "code": code,
            "detail": detail,
        }
        self._send(status, body, headers, "application/problem+json")

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length", 0))
        raw = self.rfile.read(length)
        if len(raw) < length:
            raise ConnectionResetError("request body cut short")
        return gzip.decompress(raw) if self.headers.get("Content-Encoding") == "gzip" else raw

    def _centre(self) -> str | None:
        auth = self.headers.get("Authorization", "")
        device = self.headers.get("X-Device-Id", "")
        centre = (
            self.store.device(device, auth.removeprefix("Bearer "))
            if auth.startswith("Bearer ")
            else None
        )
        if centre is None:
            self._problem(401, "unauthorized", "设备未登记或令牌无效")
        return centre

    def _route(self) -> tuple[str, dict[str, list[str]]]:
        parts = urlsplit(self.path)
        if not parts.path.startswith(PREFIX):
            return "", {}
        return parts.path[len(PREFIX) :], parse_qs(parts.query)

    # --- verbs ----------------------------------------------------------------------------------

    def do_GET(self) -> None:
        path, query = self._route()
        centre = self._centre()
        if centre is None:
            return
        if path == "/changes":
            since = int((query.get("since") or ["0"])[0] or 0)
            limit = min(int((query.get("limit") or ["500"])[0]), 2000)
            device = self.headers.get("X-Device-Id", "")
            changes, cursor, more = self.store.changes(centre, since, limit, device)
            self._send(200, {"changes": changes, "cursor": str(cursor), "more": more})
        elif path == "/catalog":
            catalog = demo_catalog().model_dump(mode="json")
            etag = f'"{catalog["version"]}"'
            if self.headers.get("If-None-Match") == etag:
                self._send(304, None, {"ETag": etag})
            else:
                self._send(200, catalog, {"ETag": etag})
        elif match := re.match(r"^/calendar/(\d{4})$", path):
            year = calendar_year(int(match.group(1)))
            if year is None:
                self._problem(404, "no_calendar", "该年度的工作日历尚未发布")
            else:
                self._send(200, year)
        elif path == "/state":
            self._send(200, self.store.state(centre))
        else:
            self._problem(404, "not_found", "没有这个接口")

    def do_POST(self) -> None:
        path, _ = self._route()
        centre = self._centre()
        if centre is None:
            return
        if path != "/ops":
            self._problem(404, "not_found", "没有这个接口")
            return
        if int(self.headers.get("Content-Length", 0)) > MAX_BODY:
            self._problem(413, "too_large", "请求超过4 MiB")
            return
        try:
            ops = json.loads(self._body())["ops"]
            assert isinstance(ops, list)
        except (ValueError, KeyError, TypeError, AssertionError, OSError):
            self._problem(400, "bad_request", "请求体不是合法的操作列表")
            return
        if len(ops) > MAX_OPS:
            self._problem(413, "too_many", "每次最多200个操作")
            return
        device = self.headers["X-Device-Id"]
        self._send(200, {"results": self.store.apply_ops(device, centre, ops)})

    def do_HEAD(self) -> None:
        path, _ = self._route()
        if self._centre() is None:
            return
        match = _BLOB.match(path)
        if not match:
            self._problem(404, "not_found", "没有这个接口")
            return
        status, size = self.store.blob_state(match.group(1))
        headers = (
            {"Content-Length": str(size)}
            if status == 200
            else (
                {"Upload-Offset": str(size), "Content-Length": "0"}
                if status == 206
                else {"Content-Length": "0"}
            )
        )
        self._send(status, None, headers)

    def do_PUT(self) -> None:
        path, _ = self._route()
        if self._centre() is None:
            return
        match, rng = _BLOB.match(path), _RANGE.match(self.headers.get("Content-Range", ""))
        if not match or not rng:
            self._problem(400, "bad_request", "需要 /blobs/{sha256} 和 Content-Range")
            return
        start, end, total = (int(x) for x in rng.groups())
        kind = self.headers.get("Content-Type", "").split(";")[0]
        if kind not in BLOB_TYPES:
            self._problem(415, "bad_type", "只接受PDF、JPEG、PNG、TIFF")
            return
        chunk = self._body()
        if len(chunk) != end - start + 1 or len(chunk) > MAX_CHUNK or total > MAX_BLOB:
            self._problem(400, "bad_range", "分块长度与 Content-Range 不符或过大")
            return
        status, offset = self.store.blob_put(match.group(1), start, total, chunk)
        if status == 409:
            self._problem(
                409, "offset_mismatch", "分块起点与已上传位置不符", {"Upload-Offset": str(offset)}
            )
        elif status == 422:
            self._problem(422, "digest_mismatch", "附件校验值不符，已丢弃")
        else:
            self._send(status, None, {"Upload-Offset": str(offset)})


def make_server(
    store: PlatformStore, host: str = "127.0.0.1", port: int = 8700
) -> ThreadingHTTPServer:
    handler = type("BoundHandler", (Handler,), {"store": store})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def serve_in_thread(
    store: PlatformStore, host: str = "127.0.0.1", port: int = 0
) -> tuple[ThreadingHTTPServer, str]:
    """Start the platform in a background thread; returns it and its base URL."""
    server = make_server(store, host, port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    bound_host, bound_port = server.server_address[:2]
    assert isinstance(bound_host, str)  # an AF_INET server's address
    return server, f"http://{bound_host}:{bound_port}{PREFIX}"
