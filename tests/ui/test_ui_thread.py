"""The watch on the UI thread (`ui_thread.py`) sees a call the app makes there."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from clerk.desk.app import DeskApp
from clerk.desk.desk_screen import DeskScreen
from clerk.desk.dialogs import EvaluationDialog
from clerk.desk.intake import IntakePanel
from clerk.services import Services
from clerk.window import Desk
from offline.models import CaseQuery
from tests.ui.conftest import login, settle, until
from tests.ui.test_day import SIZE
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


async def test_the_demo_keys_work_the_simulators_off_the_ui_thread(services: Services) -> None:
    """`clerk demo`: Ctrl+B puts a card on the simulated reader and a digit is the citizen's
    finger on the simulated evaluator; both are device I/O, so not on the UI thread."""
    desk = Desk(services)
    watch = UiThreadWatch(services, desk)
    app = DeskApp(desk, demo=True)
    case = services.store.search_cases(CaseQuery(status=["accepted"]))[0]
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        await pilot.press("ctrl+b")
        panel = app.screen.query_one(IntakePanel)
        await until(pilot, lambda: panel.query_one("#applicant-name", Input).value)

        assert isinstance(app.screen, DeskScreen)
        app.screen.last_cases = [case]  # as if just accepted: F3 asks the citizen
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, EvaluationDialog)
        await until(pilot, lambda: services.evaluator_simulator.asked())
        await pilot.press("2")
        await until(pilot, lambda: services.store.evaluation(case.case_id), timeout=15)
    assert services.store.evaluation(case.case_id).level == "satisfied"
    assert watch.calls == []
