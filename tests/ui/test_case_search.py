"""The case list's search runs in a worker on each keystroke; a slow earlier search that
answers after a newer one must not replace the newer one's rows."""

from __future__ import annotations

import threading

import pytest
from textual.widgets import DataTable, Static

from clerk.window import Desk
from tests.ui.conftest import login, settle, until
from tests.ui.test_day import SIZE

pytestmark = pytest.mark.anyio


async def test_a_stale_search_does_not_overwrite_a_newer_one(
    make_app, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    real = Desk.cases

    def cases(self: Desk, text: str = "", statuses: list | None = None) -> list:
        if text == "zzz":  # the first keystrokes' search: slow, and answering nothing
            release.wait(10)
        return real(self, text, statuses)

    monkeypatch.setattr(Desk, "cases", cases)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        await pilot.press("ctrl+f")
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        await until(pilot, lambda: table.row_count > 0)
        await pilot.press(*"zzz")  # ...its search hangs
        await pilot.press("backspace", "backspace", "backspace")  # back to every case
        await until(pilot, lambda: table.row_count > 0)
        shown = table.row_count
        release.set()  # the stale search for "zzz" answers last, with no rows
        await settle(pilot)
        await pilot.pause(0.3)
        assert table.row_count == shown


async def test_the_serial_alone_finds_the_case_and_nothing_found_is_said(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await pilot.press("ctrl+f")
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        none = app.screen.query_one("#none", Static)
        await until(pilot, lambda: table.row_count > 0)
        assert not none.display
        await pilot.press(*"0002")  # as the clerk says it: the serial of the day
        await until(pilot, lambda: table.row_count == 1)
        assert str(table.get_row_at(0)[0]).endswith("-0002")
        assert not none.display
        await pilot.press(*["backspace"] * 4, *"9999")  # no such case today or before
        await until(pilot, lambda: table.row_count == 0)
        await until(pilot, lambda: none.display)
        assert "没有找到" in str(none.render())
