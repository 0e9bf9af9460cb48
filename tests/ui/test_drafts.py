"""Nothing typed is lost: the intake in progress is a draft in the store, kept through a
lock, an idle lock, a backup clerk's unlock, 呼叫, logout, Ctrl+Q and a crash."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Select

from clerk.desk.desk_screen import DeskScreen
from clerk.desk.dialogs import ChoiceDialog, DraftsDialog, ResultDialog
from clerk.desk.intake import IntakePanel
from clerk.desk.login import LoginScreen
from clerk.services import Services
from tests.ui.conftest import login, settle, until
from tests.ui.test_day import SIZE, fill_pension

pytestmark = pytest.mark.anyio


def panel_of(app) -> IntakePanel:
    return next(s for s in app.screen_stack if isinstance(s, DeskScreen)).query_one(IntakePanel)


async def type_name(pilot, name: str = "王小明") -> IntakePanel:
    panel = panel_of(pilot.app)
    panel.query_one("#applicant-name", Input).focus()
    await pilot.press(*name, "tab")  # the field is left: the draft goes to the store
    await settle(pilot)
    return panel


@pytest.mark.parametrize(("clerk_id", "pin"), [("c0107", "1234"), ("c0108", "5678")])
async def test_lock_and_unlock_keep_the_intake(make_app, services, clerk_id, pin) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        panel = await type_name(pilot)
        await pilot.press("f12")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        app.screen.query_one("#clerk-id", Input).value = clerk_id
        app.screen.query_one("#pin", Input).focus()
        await pilot.press(*pin, "enter")
        await settle(pilot)
        assert isinstance(app.screen, DeskScreen)
        assert panel.query_one("#applicant-name", Input).value == "王小明"
        app.action_lock("idle")  # the idle lock takes the same way
        await settle(pilot)
        assert [d.applicant.name for d in services.store.drafts()] == ["王小明"]


async def test_f1_asks_then_parks_the_draft_and_calls_and_it_comes_back(
    make_app, services: Services
) -> None:
    hall = services.hall()
    hall.issue("general")
    hall.issue("general")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        await pilot.press("f1")
        await settle(pilot)
        panel = await type_name(pilot)
        await fill_pension(pilot, panel)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.click("#cancel")  # 留在当前录入
        await settle(pilot)
        assert hall.view(3).current.number == "C001"
        assert panel.query_one("#applicant-name", Input).value == "王小明"

        await pilot.press("f1")
        await settle(pilot)
        await pilot.click("ChoiceDialog Button")  # 暂存并呼叫下一位
        await settle(pilot)
        assert hall.view(3).current.number == "C002"
        assert panel.is_empty
        [draft] = services.store.drafts()
        assert draft.applicant.name == "王小明" and draft.ticket == "C001"
        assert draft.form["contribution_grade"] == "300元"

        await pilot.press("ctrl+o")  # 暂存的录入
        await settle(pilot)
        assert isinstance(app.screen, DraftsDialog)
        await pilot.press("enter")
        await settle(pilot)
        assert panel.query_one("#applicant-name", Input).value == "王小明"
        assert panel.item and panel.item.code == "330212105-GG-0012"
        assert panel.query_one("#f-contribution_grade", Select).value == "300元"
        app.tick()  # the queue shown again (every 15 s, or a hall event): C002 is current
        await settle(pilot)
        panel.query_one("#applicant-phone", Input).focus()
        await pilot.press("tab")  # a field left: the draft saved again, still C001's
        await settle(pilot)
        [draft] = services.store.drafts()
        assert draft.ticket == "C001" and panel.ticket == "C001"  # 受理 takes it from here
    parked = [e for e in services.store.audit_entries() if e.action == "draft.park"]
    assert parked and parked[0].target == "C001"


async def test_a_crash_loses_nothing_the_next_login_offers_the_draft(
    make_app, services: Services
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        panel = await type_name(pilot)
        await fill_pension(pilot, panel, missing=True)
        panel.query_one("#m-M01 Select").focus()
        await pilot.press("tab")
        await settle(pilot)
    # the process dies here: no logout, no 暂存; the store has what was left
    [draft] = services.store.drafts()
    assert draft.item_code == "330212105-GG-0012"

    again = make_app()
    async with again.run_test(size=SIZE) as pilot:
        await login(pilot)
        await until(pilot, lambda: isinstance(again.screen, DraftsDialog))
        await pilot.press("enter")
        await settle(pilot)
        panel = panel_of(again)
        await until(pilot, lambda: panel.item is not None)
        assert panel.query_one("#applicant-name", Input).value == "王小明"
        assert panel.query_one("#f-bank_account", Input).value == "6228480098765432109"
        assert panel.query_one("#m-M02 Select", Select).value == "missing_allowed"
        panel.query_one("#applicant-id-number", Input).value = "330212198001011238"
        await pilot.press("ctrl+s")  # 受理 ends the draft in the case's own transaction
        await settle(pilot)
        assert isinstance(again.screen, ResultDialog)
        assert services.store.drafts() == []


async def test_ctrl_q_asks_keeps_the_draft_and_logs_out(make_app, services: Services) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        await type_name(pilot)
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceDialog) and app.is_running
        await pilot.click("ChoiceDialog Button")  # 暂存并退出
        await settle(pilot)
    actions = [e.action for e in services.store.audit_entries(limit=10)]
    assert "desk.logout" in actions and "draft.park" in actions
    assert [d.applicant.name for d in services.store.drafts()] == ["王小明"]


async def test_logout_asks_when_something_is_typed(make_app, services: Services) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        await type_name(pilot)
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DeskScreen) and app.desk.session
        await pilot.press("ctrl+l")
        await settle(pilot)
        await pilot.click("ChoiceDialog Button")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen) and app.desk.session is None
    assert len(services.store.drafts()) == 1
