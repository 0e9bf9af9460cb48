"""The hall service's request and answer models, and its errors in Chinese.

A body or path that does not fit its model is answered `422` with a Chinese `error` (and the
same text as `message`), naming the field: a kiosk sending `{"id_number": 123}` learns what is
wrong instead of losing its connection.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, field_validator

from offline.queue import check_card_number
from offline.web import explain


class Problem(BaseModel):
    error: str = Field(description="给人看的中文说明")
    message: str | None = Field(None, description="同 error（仅 422）")


def error_answers() -> dict[int | str, dict[str, Any]]:
    """The error answers every route may give, for the published schema."""
    return {
        code: {"model": Problem, "description": text}
        for code, text in {
            400: "请求格式不正确",
            401: "密钥不正确",
            403: "该令牌不能这样做",
            404: "没有人在排队，或没有这个接口",
            409: "现在不能这样做（说明原因）",
            422: "请求内容不符合要求（说明哪一项）",
        }.items()
    }


def install_errors(app: FastAPI, refused: type[Exception], refused_step: type[Exception]) -> None:
    """Every error the hall gives is `{"error": "<Chinese>"}` with its status."""

    def answer(status: int, text: str) -> JSONResponse:
        body: dict[str, Any] = {"error": text}
        if status == 422:
            body["message"] = text
        return JSONResponse(body, status_code=status)

    async def invalid(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        return answer(422, explain(list(error.errors())))

    async def denied(_: Request, error: Exception) -> JSONResponse:
        return answer(getattr(error, "status", 401), str(error))

    async def step(_: Request, error: Exception) -> JSONResponse:
        return answer(409, str(error))

    async def missing(_: Request, error: Exception) -> JSONResponse:
        status = getattr(error, "status_code", 404)
        return answer(status, "没有这个接口" if status == 404 else "请求方法不对")

    from starlette.exceptions import HTTPException

    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(refused, denied)
    app.add_exception_handler(refused_step, step)
    app.add_exception_handler(HTTPException, missing)


class Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ClerkBody(Body):
    clerk_id: StrictStr = Field("", max_length=40, description="工号")


class CallBackBody(ClerkBody):
    number: StrictStr = Field(max_length=8, description="挂起的号")


class TransferBody(ClerkBody):
    kind: StrictStr | None = Field(None, max_length=40)
    to_window: StrictInt | None = Field(None, ge=1, le=99)


class PauseBody(ClerkBody):
    reason: StrictStr = Field(max_length=100, description="暂停原因")


class KindsBody(Body):
    kinds: list[StrictStr] = Field(max_length=20)


class IssueBody(Body):
    kind: StrictStr = Field(max_length=40, description="业务类别")
    green: StrictBool = False
    id_number: StrictStr | None = Field(
        None, description="取号机读到的身份证或居住证号码：同一人同一业务只能有一个号"
    )

    @field_validator("id_number")
    @classmethod
    def _card(cls, value: str | None) -> str | None:
        return None if value is None else check_card_number(value)


class Health(BaseModel):
    """The process serves (nothing else is read: it is also the benchmarks' trivial answer)."""

    status: Literal["ok"]


class Call(BaseModel):
    number: str
    window_no: int | None
    at: str


class WindowOnBoard(BaseModel):
    number: str | None
    paused: bool


class BoardState(BaseModel):
    """What the hall board shows: numbers only, never a name."""

    calls: list[Call]
    windows: dict[str, WindowOnBoard]
    waiting: dict[str, int]
    last_event: int


class Whoami(BaseModel):
    role: Literal["admin", "window", "kiosk", "board"]
    window_no: int | None = None
