"""The reference platform over HTTP (FastAPI under uvicorn, guarded by `offline.web`), under
`/api/v1`, as `../shared/platform-api.md` says.

Every answer carries `X-Platform-Api: 1`; errors are `application/problem+json` with a `code`
and a Chinese `detail` (and `message`). Bodies and paths are checked by pydantic models: a
wrong type is `422` (code `invalid_request`), never a dropped connection. The schema is
published at `/openapi.json`. Readings of the contract where it is silent: an intermediate
blob chunk is answered `202` with `Upload-Offset` (the contract names only the final `201`,
the `409` and the `422`); a body that is not an operation list is `422` `invalid_request`.
"""

import gzip
import io
import re
from collections.abc import Callable
from datetime import date
from http import HTTPStatus
from typing import Annotated, Any

import anyio
import chinese_calendar
from fastapi import APIRouter, Depends, FastAPI, Header, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from offline.catalog import demo_catalog
from offline.platform.store import MAX_BLOB, MAX_CHUNK, PlatformStore
from offline.web import Limits, Running, explain

PREFIX = "/api/v1"
MAX_OPS, MAX_BODY = 200, 4 * 1024 * 1024
_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")
BLOB_TYPES = {"application/pdf", "image/jpeg", "image/png", "image/tiff"}
Sha256 = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="附件的 SHA-256")]


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


class Problem(Exception):
    """An RFC 9457 answer: status, machine code, Chinese detail."""

    def __init__(
        self, status: int, code: str, detail: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.headers = status, code, detail, headers or {}

    def response(self) -> JSONResponse:
        body = {
            "type": "about:blank",
            "title": HTTPStatus(self.status).phrase,
            "status": self.status,
            "code": self.code,
            "detail": self.detail,
            "message": self.detail,
        }
        return JSONResponse(body, self.status, self.headers, media_type="application/problem+json")


class ProblemBody(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    code: str
    detail: str
    message: str


class OpsRequest(BaseModel):
    ops: list[dict[str, Any]] = Field(description="操作，每次最多200个，按顺序")


class Answer(BaseModel):
    """An answer's published members; members the store adds (1.1 additions) pass through."""

    model_config = ConfigDict(extra="allow")


class OpResult(Answer):
    op_id: str | None
    result: str
    server_version: int | None = None
    code: str | None = None
    message: str | None = None
    missing: list[str] | None = None


class OpsAnswer(Answer):
    results: list[OpResult]


class ChangesAnswer(Answer):
    changes: list[dict[str, Any]]
    cursor: str
    more: bool


class CaseState(Answer):
    case_id: str
    status: str
    official_no: str | None = None


class StateAnswer(Answer):
    cases: int
    ops: int
    digest: str
    case_states: list[CaseState] | None = Field(
        None, description="每个办件的状态（参考平台的补充，供 clerk sync verify 逐件核对）"
    )


class PlatformHeaders:
    """ASGI middleware: `X-Platform-Api: 1` on every answer; a gzip request body inflated
    (at most `MAX_BODY` after inflating) before the routes see it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"x-platform-api", b"1"))
            await send(message)

        headers = dict(scope["headers"])
        if int(headers.get(b"content-length") or 0) > MAX_BODY:
            await Problem(413, "too_large", "请求超过4 MiB").response()(scope, receive, marked)
            return
        if headers.get(b"content-encoding") == b"gzip":
            receive = await _inflated(receive)
            scope = {**scope, "headers": [h for h in scope["headers"] if h[0] != b"content-length"]}
        await self.app(scope, receive, marked)


async def _inflated(receive: Receive) -> Receive:
    raw = b""
    while True:
        message = await receive()
        raw += message.get("body", b"")
        if len(raw) > MAX_BODY or not message.get("more_body"):
            break
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as inflating:
            body = inflating.read(MAX_BODY + 1)
    except (OSError, EOFError):
        body = b"\x00"  # not gzip after all: the JSON check refuses it
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def build_app(store: PlatformStore) -> FastAPI:
    """The reference platform as an ASGI application over `store`."""
    app = FastAPI(
        title="参考平台同步接口",
        version="1.1",
        docs_url=None,
        redoc_url=None,
        responses={401: {"model": ProblemBody}, 422: {"model": ProblemBody}},
    )
    _errors(app)

    def device(
        authorization: Annotated[str, Header()] = "",
        x_device_id: Annotated[str, Header()] = "",
    ) -> tuple[str, str]:
        token = authorization.removeprefix("Bearer ")
        centre = store.device(x_device_id, token) if authorization.startswith("Bearer ") else None
        if centre is None:
            raise Problem(401, "unauthorized", "设备未登记或令牌无效")
        return x_device_id, centre

    Device = Annotated[tuple[str, str], Depends(device)]
    api = APIRouter(prefix=PREFIX)

    @api.get("/changes", response_model=ChangesAnswer, summary="平台的变化")
    def changes(
        who: Device,
        since: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1)] = 500,
        own: Annotated[str, Query(pattern="^(light|full)$")] = "light",
    ) -> dict[str, Any]:
        found, cursor, more = store.changes(
            who[1], since, min(limit, 2000), who[0], own_in_full=own == "full"
        )
        return {"changes": found, "cursor": str(cursor), "more": more}

    @api.get("/catalog", summary="事项目录（ETag）")
    def catalog(_: Device, if_none_match: Annotated[str | None, Header()] = None) -> Response:
        data = demo_catalog().model_dump(mode="json")
        etag = f'"{data["version"]}"'
        if if_none_match == etag:
            return Response(status_code=304, headers={"ETag": etag})
        return JSONResponse(data, headers={"ETag": etag})

    @api.get("/calendar/{year}", summary="工作日历")
    def calendar(_: Device, year: Annotated[int, Path(ge=1900, le=2200)]) -> dict[str, Any]:
        found = calendar_year(year)
        if found is None:
            raise Problem(404, "no_calendar", "该年度的工作日历尚未发布")
        return found

    @api.get("/state", response_model=StateAnswer, summary="核对双方持有的操作")
    def state(who: Device, centre_code: str | None = None) -> dict[str, Any]:
        return store.state(who[1])

    @api.post("/ops", response_model=OpsAnswer, summary="上报操作")
    def ops(who: Device, body: OpsRequest) -> dict[str, Any]:
        if len(body.ops) > MAX_OPS:
            raise Problem(413, "too_many", "每次最多200个操作")
        return {"results": store.apply_ops(who[0], who[1], body.ops)}

    @api.head("/blobs/{sha256}", summary="附件是否已上传")
    def blob_state(_: Device, sha256: Sha256) -> Response:
        status, size = store.blob_state(sha256)
        if status == 206:
            return Response(status_code=206, headers={"Upload-Offset": str(size)})
        length = str(size) if status == 200 else "0"
        return Response(status_code=status, headers={"Content-Length": length})

    @api.put("/blobs/{sha256}", summary="上传附件的一块")
    async def blob_put(
        _: Device,
        sha256: Sha256,
        request: Request,
        content_range: Annotated[str, Header()] = "",
        content_type: Annotated[str, Header()] = "",
    ) -> Response:
        rng = _RANGE.match(content_range)
        if not rng:
            raise Problem(400, "bad_request", "需要 Content-Range")
        start, end, total = (int(x) for x in rng.groups())
        if content_type.split(";")[0] not in BLOB_TYPES:
            raise Problem(415, "bad_type", "只接受PDF、JPEG、PNG、TIFF")
        chunk = await _read(request, MAX_CHUNK)
        if len(chunk) != end - start + 1 or total > MAX_BLOB:
            raise Problem(400, "bad_range", "分块长度与 Content-Range 不符或过大")
        status, offset = await _in_thread(store.blob_put, sha256, start, total, chunk)
        if status == 409:
            raise Problem(
                409, "offset_mismatch", "分块起点与已上传位置不符", {"Upload-Offset": str(offset)}
            )
        if status == 422:
            raise Problem(422, "digest_mismatch", "附件校验值不符，已丢弃")
        return Response(status_code=status, headers={"Upload-Offset": str(offset)})

    app.include_router(api)
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(PlatformHeaders)
    return app


async def _read(request: Request, most: int) -> bytes:
    """The request body, refused (413) as soon as it passes `most` bytes."""
    if int(request.headers.get("content-length") or 0) > most:
        raise Problem(413, "too_large", "分块超过1 MiB")
    data = b""
    async for part in request.stream():
        data += part
        if len(data) > most:
            raise Problem(413, "too_large", "分块超过1 MiB")
    return data


async def _in_thread(fn: Callable[..., Any], *args: Any) -> Any:
    return await anyio.to_thread.run_sync(fn, *args)


def _errors(app: FastAPI) -> None:
    async def problem(_: Request, error: Exception) -> Response:
        assert isinstance(error, Problem)
        return error.response()

    async def invalid(_: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        return Problem(422, "invalid_request", explain(list(error.errors()))).response()

    async def http(_: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        if error.status_code == 405:
            return Problem(405, "method_not_allowed", "该接口不支持这个方法").response()
        return Problem(404, "not_found", "没有这个接口").response()

    app.add_exception_handler(Problem, problem)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(HTTPException, http)


def serve_in_thread(
    store: PlatformStore,
    host: str = "127.0.0.1",
    port: int = 0,
    limits: Limits | None = None,
    tls: tuple[str, str] | None = None,
) -> tuple[Running, str]:
    """Start the platform in a background thread; returns it and its base URL (https with
    `tls`, a certificate chain file and its key file)."""
    server = Running(build_app(store), host, port, limits, tls=tls)
    return server, server.url + PREFIX
