"""One stray Esc loses nothing and decides nothing."""

from __future__ import annotations

import pytest

from clerk.desk.desk_screen import DeskScreen
from clerk.desk.dialogs import EvaluationDialog
from clerk.services import Services
from offline.models import CaseQuery
from tests.ui.conftest import login, settle, until
from tests.ui.test_day import card_on_reader, fill_pension

pytestmark = pytest.mark.anyio
SIZE = (80, 24)


async def test_esc_on_the_rating_prompt_records_nothing_and_f3_asks_again(
    make_app, services: Services
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        panel = await card_on_reader(pilot, services, 0)
        await fill_pension(pilot, panel)
        await pilot.press("ctrl+s")
        await settle(pilot)
        case = services.store.search_cases(CaseQuery(text="张三"))[0]
        await pilot.press("escape", "escape")  # the receipt, then the rating prompt
        await settle(pilot)
        assert isinstance(app.screen, DeskScreen)
        assert services.store.evaluation(case.case_id) is None
        assert not any("群众未评价" in n.message for n in app._notifications)
        assert any("可按 F3 再请群众评价" in n.message for n in app._notifications)

        await pilot.press("f3")  # the citizen is still there: asked again
        await settle(pilot)
        assert isinstance(app.screen, EvaluationDialog)
        assert services.evaluator_simulator is not None
        await until(pilot, services.evaluator_simulator.asked)
        services.evaluator_simulator.press(2)
        await until(pilot, lambda: isinstance(app.screen, DeskScreen), timeout=10)
        await settle(pilot)
        evaluation = services.store.evaluation(case.case_id)
        assert evaluation and evaluation.level == "satisfied"
