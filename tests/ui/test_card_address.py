"""A citizen who has moved: the card's 追加住址 (30 03), read over the simulator's pty, is the
address the intake takes and the case keeps."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from clerk.desk.intake import IntakePanel
from clerk.services import Services
from offline.models import CaseQuery
from tests.ui.conftest import login, settle, until
from tests.ui.test_day import fill_pension

pytestmark = pytest.mark.anyio
SIZE = (120, 40)


async def test_the_appended_address_fills_the_intake(make_app, services: Services) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        panel = app.screen.query_one(IntakePanel)
        sim = services.idcard_simulator
        assert sim is not None
        moved = next(i for i, card in enumerate(sim.deck) if card.new_address)
        sim.place(moved)
        await until(pilot, lambda: panel.query_one("#applicant-name", Input).value)
        address = panel.query_one("#applicant-address", Input).value
        assert address == "浙江省宁波市鄞州区示范镇新城路88号3幢201室"
        assert (0x30, 0x03) in sim.received
        await fill_pension(pilot, panel)
        await pilot.press("ctrl+s")
        await settle(pilot)
        case = services.store.search_cases(CaseQuery(text="孙丽"))[0]
        assert case.payload.applicant.address == address
