"""F1 bounced or pressed twice: one citizen called, nobody finished unserved."""

from __future__ import annotations

import pytest
from textual.widgets import Button

from clerk.desk.desk_screen import DeskScreen
from clerk.desk.dialogs import ChoiceDialog
from clerk.services import Services
from tests.ui.conftest import login, settle

pytestmark = pytest.mark.anyio
SIZE = (80, 24)


async def test_f1_twice_calls_one_and_finishes_nobody(make_app, services: Services) -> None:
    hall = services.hall()
    for _ in range(3):
        hall.issue("general")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        await pilot.press("f1", "f1")  # a bounce: the second while the first is in flight
        await settle(pilot)
        assert hall.view(3).current.number == "C001"
        if isinstance(app.screen, ChoiceDialog):  # the call was quicker than the bounce
            await pilot.press("enter")  # the safe answer has the focus: stay
            await settle(pilot)
        assert isinstance(app.screen, DeskScreen)

        await pilot.press("f1")  # moments after the call, nothing done: asked first
        await settle(pilot)
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.press("escape")
        await settle(pilot)
        assert hall.view(3).current.number == "C001"

        await pilot.press("f1")
        await settle(pilot)
        app.screen.query(Button).first().press()  # 结束并呼叫下一位, chosen on purpose
        await settle(pilot)
        assert hall.view(3).current.number == "C002"
