"""The watch on the UI thread (`ui_thread.py`) sees a call the app makes there."""

from __future__ import annotations

import pytest

from clerk.desk.app import DeskApp
from clerk.services import Services
from clerk.window import Desk
from tests.ui.conftest import login, settle
from tests.ui.ui_thread import UiThreadWatch

pytestmark = pytest.mark.anyio


async def test_a_store_call_on_the_ui_thread_is_seen(services: Services) -> None:
    desk = Desk(services)
    watch = UiThreadWatch(services, desk)
    app = DeskApp(desk)
    async with app.run_test() as pilot:
        await login(pilot)
        services.store.drafts()  # the test's own call: not the app's
        assert watch.calls == []
        app.call_later(services.store.drafts)  # the app's event loop: the UI thread
        await settle(pilot)
        assert watch.calls and watch.calls[0].startswith("SQL ")
        watch.calls.clear()
        app.call_later(app.desk.drafts)
        await settle(pilot)
        assert watch.calls and watch.calls[0].startswith("Desk.drafts")
        watch.calls.clear()
