"""F9 and the card poller share one owner of the reader (clerk/owners.py): F9 pressed 200
times while cards are placed and lifted on the pty simulator; every answer is a card or a
Chinese message, the owner is alive at the end, and the next card fills the intake."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Input

from clerk.desk.intake import IntakePanel
from clerk.services import Services
from tests.ui.conftest import login, settle, until
from tests.ui.test_day import SIZE

pytestmark = pytest.mark.anyio


async def test_f9_pressed_200_times_while_the_poller_runs(
    make_app, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()
    told: list[str] = []
    notify = app.notify

    def record(message: str, *args: Any, **kwargs: Any) -> None:
        told.append(str(message))
        notify(message, *args, **kwargs)

    monkeypatch.setattr(app, "notify", record)
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        sim = services.idcard_simulator
        assert sim is not None
        await until(pilot, lambda: app.cards.alive)
        for n in range(200):
            if n % 20 == 0:
                sim.place(n // 20 % 2)  # 张三 and the next card, in turn
            elif n % 20 == 10:
                sim.lift()
            await pilot.press("f9")
            if n % 5 == 0:
                await pilot.pause(0.05)
        await settle(pilot)
        assert app.cards.alive and app.cards.restarts == 0
        assert told, "F9 was answered"
        assert not any("系统内部错误" in t for t in told), told
        assert all(not t.isascii() for t in told), told  # every answer in Chinese words
        panel = app.screen.query_one(IntakePanel)
        sim.lift()
        card = sim.place(2)  # the next citizen's card
        await until(
            pilot, lambda: panel.query_one("#applicant-name", Input).value == card.name, timeout=20
        )
