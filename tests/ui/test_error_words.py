"""Rule 13 in the apps: a user error shows its Chinese line; a bug shows 系统内部错误 once and
its traceback is in the window's log, with personal data masked."""

from __future__ import annotations

import pytest

from clerk.errors import INTERNAL
from clerk.hall.client import HallError
from clerk.hall.kiosk import KioskApp
from clerk.logs import log_path
from tests.ui.conftest import settle

pytestmark = pytest.mark.anyio
ZHANG = "330212198001011238"


def buggy() -> None:
    raise KeyError(f"no such person {ZHANG}")


def refused() -> None:
    raise HallError("该号已被其他窗口呼叫")


async def test_the_desk_says_a_user_error_and_a_bug_once(make_app, services) -> None:
    app = make_app(background=False)
    async with app.run_test(size=(100, 30)) as pilot:
        app.run_step(refused)
        await settle(pilot)
        app.run_step(buggy)
        await settle(pilot)
        app.run_step(buggy)  # a periodic step failing again: logged again, told once
        await settle(pilot)
        told = [str(n.message) for n in app._notifications]
        assert told == ["该号已被其他窗口呼叫", INTERNAL]
    logged = log_path(services.home).read_text("utf-8")
    assert logged.count("Traceback") == 2 and "KeyError" in logged
    assert ZHANG not in logged and "3302**********1238" in logged


async def test_the_kiosk_says_them_on_its_message_line(services) -> None:
    app = KioskApp(services, live=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.run_step(refused)
        await settle(pilot)
        assert str(app.query_one("#message").render()) == "该号已被其他窗口呼叫"
        app.run_step(buggy)
        await settle(pilot)
        assert str(app.query_one("#message").render()) == INTERNAL
        assert not app._notifications
    assert ZHANG not in log_path(services.home).read_text("utf-8")
