"""`clerk hall serve`: the hall queue over HTTP on the LAN (FastAPI under uvicorn, guarded by
`offline.web`).

Every request but `/health` and the board's carries a credential in `X-Hall-Key`: the admin
key (`clerk hall key`), a window's token (acts only as that window), or a kiosk's or board's
token. Bodies and paths are checked by pydantic models: a wrong type is a `422` with a Chinese
message, never a dropped connection. The API is documented in `docs/hall-api.md` and
published at `/openapi.json`. Answers are JSON; an error is `{"error": "<Chinese message>"}`.
"""

import json
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import anyio
from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, JSONResponse
from sse_starlette import EventSourceResponse, ServerSentEvent

from clerk.hall.api import (
    BoardState,
    CallBackBody,
    ClerkBody,
    Health,
    IssueBody,
    KindsBody,
    PauseBody,
    TransferBody,
    Whoami,
    error_answers,
    install_errors,
)
from clerk.hall.calls import Calls
from offline.clock import now
from offline.models import WINDOW_KIND_NAMES, Ticket
from offline.queue import Credential, QueueError, QueueStore
from offline.web import Limits, Running

POLL = 0.1  # seconds between looks for new events in a stream
HEARTBEAT = 15.0
RETRY_MS = 1000
BOARD_PAGE = Path(__file__).with_name("board.html")
WindowNo = Annotated[int, PathParam(ge=1, le=99, description="窗口号")]


def _ticket(ticket: Ticket | None, store: QueueStore) -> dict[str, Any] | None:
    if ticket is None:
        return None
    data = ticket.model_dump(mode="json")
    if ticket.state == "issued":
        data["ahead"] = store.ahead_of(ticket.number)
    return data


class Refused(Exception):
    """A request without the right credential: 401 (none or unknown) or 403 (not allowed)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Hall:
    """What the routes share: the store, the voice, who may do what, and the stop signal
    that ends open event streams when the service shuts down."""

    def __init__(self, store: QueueStore, calls: Calls, open_board: bool = True) -> None:
        self.store, self.calls, self.open_board = store, calls, open_board
        self.stopping = threading.Event()

    def credential(self, key: str | None) -> Credential:
        found = self.store.credential(key or "")
        if found is None:
            raise Refused(401, "叫号服务密钥不正确")
        return found

    def announced(self, ticket: Ticket, window: int, again: bool = False) -> dict[str, Any]:
        data = _ticket(ticket, self.store) or {}
        data["announced"] = self.calls.announce(ticket, window, again=again)
        return data

    async def events(self, last: int) -> AsyncIterator[dict[str, Any] | ServerSentEvent]:
        """Every ticket event after `last`, as it happens, until the service stops. A browser
        that loses the stream tries again after `RETRY_MS` (its own default is slower)."""
        yield ServerSentEvent(retry=RETRY_MS, comment="叫号事件流")
        while not self.stopping.is_set():
            events = await anyio.to_thread.run_sync(self.store.events_after, last)
            for event in events:
                last = event["id"]
                data = json.dumps(event, ensure_ascii=False)
                yield {"id": str(last), "event": "ticket", "data": data}
            if not events:
                await anyio.sleep(POLL)

    def stream(self, after: int | None, last_event_id: str | None) -> EventSourceResponse:
        resume = str(after) if after is not None else (last_event_id or "")
        start = int(resume) if resume.isdigit() else self.store.last_event_id()
        return EventSourceResponse(
            self.events(start),
            ping=int(HEARTBEAT),
            headers={"Cache-Control": "no-store"},
            send_timeout=10,
        )


STEPS = {"start": "开始办理", "no-show": "过号", "park": "挂起", "finish": "办结"}


KeyHeader = Annotated[str | None, Header(alias="X-Hall-Key", description="管理密钥或令牌")]


def build_app(hall: Hall) -> FastAPI:
    """The hall service as an ASGI application around `hall`."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        hall.stopping.set()

    app = FastAPI(
        title="大厅叫号服务",
        version="1",
        lifespan=lifespan,
        responses=error_answers(),
        docs_url=None,
        redoc_url=None,
    )
    install_errors(app, Refused, QueueError)
    store = hall.store
    names = json.dumps(WINDOW_KIND_NAMES, ensure_ascii=False)
    page = BOARD_PAGE.read_text("utf-8").replace("__KIND_NAMES__", names)

    def anyone(x_hall_key: KeyHeader = None) -> Credential:
        return hall.credential(x_hall_key)

    def admin(who: Annotated[Credential, Depends(anyone)]) -> Credential:
        if who.role != "admin":
            raise Refused(403, "只有管理密钥可以这样做")
        return who

    def issuer(who: Annotated[Credential, Depends(anyone)]) -> Credential:
        if who.role == "board":
            raise Refused(403, "显示屏令牌只能查看")
        return who

    def as_window(window_no: WindowNo, who: Annotated[Credential, Depends(anyone)]) -> int:
        if not who.may_act_as(window_no):
            raise Refused(403, f"该令牌不能代表{window_no}号窗口")
        return window_no

    def reader(request: Request, token: str | None = None) -> None:
        if not hall.open_board:
            hall.credential(request.headers.get("X-Hall-Key") or token)

    Reader = Depends(reader)
    Anyone = Depends(anyone)
    Window = Annotated[int, Depends(as_window)]

    @app.get("/health", response_model=Health, summary="服务是否在运行（无需密钥）")
    def health() -> Health:
        return Health(status="ok")

    @app.get("/whoami", response_model=Whoami, summary="这个密钥或令牌是谁")
    def whoami(who: Annotated[Credential, Depends(anyone)]) -> Whoami:
        return Whoami(role=who.role, window_no=who.window_no)

    @app.post("/tickets", status_code=201, summary="取号", dependencies=[Depends(issuer)])
    def issue(body: IssueBody) -> dict[str, Any]:
        ticket = store.issue(body.kind, green=body.green, id_number=body.id_number)
        return _ticket(ticket, store) or {}

    @app.post("/windows/{window_no}/kinds", summary="设置窗口办理的业务")
    def window_kinds(
        window_no: WindowNo, body: KindsBody, _: Annotated[Credential, Depends(admin)]
    ) -> dict[str, Any]:
        store.set_window(window_no, body.kinds)
        return {"window": window_no, "kinds": body.kinds}

    @app.post("/windows/{window_no}/call", summary="叫下一个号")
    def call(window_no: Window, body: ClerkBody) -> Any:
        called = store.call_next(window_no, store.window_kinds(window_no), body.clerk_id)
        if called is None:
            return JSONResponse({"error": "没有人在排队"}, status_code=404)
        return hall.announced(called, window_no)

    @app.post("/windows/{window_no}/recall", summary="重呼")
    def recall(window_no: Window, body: ClerkBody) -> dict[str, Any]:
        return hall.announced(store.recall(window_no, body.clerk_id), window_no, again=True)

    @app.post("/windows/{window_no}/call-back", summary="回呼挂起的号")
    def call_back(window_no: Window, body: CallBackBody) -> dict[str, Any]:
        return hall.announced(store.call_back(window_no, body.number, body.clerk_id), window_no)

    @app.post("/windows/{window_no}/transfer", summary="转移")
    def transfer(window_no: Window, body: TransferBody) -> Any:
        moved = store.transfer(window_no, body.clerk_id, kind=body.kind, to_window=body.to_window)
        return _ticket(moved, store)

    @app.post("/windows/{window_no}/pause", summary="暂停服务")
    def pause(window_no: Window, body: PauseBody) -> dict[str, Any]:
        store.pause(window_no, body.reason, body.clerk_id)
        return store.window_view(window_no)

    @app.post("/windows/{window_no}/resume", summary="恢复服务")
    def resume(window_no: Window, body: ClerkBody) -> dict[str, Any]:
        store.resume(window_no, body.clerk_id)
        return store.window_view(window_no)

    def add_step(action: str, summary: str) -> None:
        method = getattr(store, action.replace("-", "_"))

        @app.post(f"/windows/{{window_no}}/{action}", summary=summary)
        def step(window_no: Window, body: ClerkBody) -> Any:
            return _ticket(method(window_no, body.clerk_id), store)

    for action, summary in STEPS.items():
        add_step(action, summary)

    @app.get("/windows/{window_no}", summary="窗口所见")
    def window_view(window_no: Window) -> dict[str, Any]:
        return store.window_view(window_no)

    @app.get("/status", summary="排队人数和各窗口当前号", dependencies=[Anyone])
    def status() -> dict[str, Any]:
        windows = {str(k): v for k, v in store.windows_now().items()}
        return {"waiting": store.waiting(), "windows": windows}

    @app.get("/kinds", summary="可取号的业务", dependencies=[Anyone])
    def kinds() -> dict[str, Any]:
        return {"kinds": store.served_kinds()}

    @app.get("/report", summary="叫号报表", dependencies=[Anyone])
    def report(
        day: Annotated[str | None, Query(alias="date", pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
    ) -> dict[str, Any]:
        day = day or now().date().isoformat()
        return {"date": day, "rows": store.report(day)}

    @app.get("/events", summary="事件流（SSE）", dependencies=[Anyone])
    def events(
        after: Annotated[int | None, Query(ge=0)] = None,
        last_event_id: Annotated[str | None, Header()] = None,
    ) -> EventSourceResponse:
        return hall.stream(after, last_event_id)

    @app.get("/board", response_class=HTMLResponse, summary="大厅显示屏网页", dependencies=[Reader])
    def board_page() -> HTMLResponse:
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})

    @app.get("/board/state", response_model=BoardState, summary="显示屏数据", dependencies=[Reader])
    def board_state() -> dict[str, Any]:
        return store.board()

    @app.get("/board/events", summary="显示屏事件流（SSE）", dependencies=[Reader])
    def board_events(
        after: Annotated[int | None, Query(ge=0)] = None,
        last_event_id: Annotated[str | None, Header()] = None,
    ) -> EventSourceResponse:
        return hall.stream(after, last_event_id)

    return app


def make_hall(store: QueueStore, calls: Calls | None = None, open_board: bool = True) -> Hall:
    store.hall_key()  # the admin key exists before the first request
    return Hall(store, calls or Calls(None), open_board)


def serve_in_thread(
    store: QueueStore,
    host: str = "127.0.0.1",
    port: int = 0,
    calls: Calls | None = None,
    limits: Limits | None = None,
    tls: tuple[str, str] | None = None,
) -> tuple[Running, str]:
    """The hall service in a background thread (tests, the demo); returns it and its URL
    (https with `tls`, a certificate chain file and its key file)."""
    hall = make_hall(store, calls)
    server = Running(build_app(hall), host, port, limits, on_exit=hall.stopping.set, tls=tls)
    return server, server.url
