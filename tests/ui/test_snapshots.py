"""SVG snapshots of the desk's screens at 80×24 and 120×40 (`pytest --snapshot-update` after
an intended change; look at the SVGs before committing them). Background work is off so that
clocks and the sync state do not change the picture."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select

from clerk.desk.intake import IntakePanel
from tests.ui.conftest import login, settle

SIZES = [(80, 24), (120, 40)]


async def quiet(pilot: Pilot) -> None:
    await settle(pilot)
    pilot.app.clear_notifications()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_login(snap_compare, make_app, size) -> None:
    assert snap_compare(make_app(background=False), terminal_size=size, run_before=quiet)


@pytest.mark.parametrize("size", SIZES)
def test_desk_with_a_ticket_and_an_intake(snap_compare, make_app, services, size) -> None:
    hall = services.hall()
    hall.issue("general", green=True)
    hall.issue("social_security")

    async def day(pilot: Pilot) -> None:
        await login(pilot)
        await pilot.press("f1")
        await settle(pilot)
        panel = pilot.app.screen.query_one(IntakePanel)
        services.reader()  # starts the simulated reader
        services.idcard_simulator.place(0)
        panel.fill_from_card(services.reader().read_card())
        await pilot.press(*"GG-0012", "enter")
        await settle(pilot)
        panel.query_one("#f-contribution_grade", Select).value = "500元"
        panel.query_one("#f-bank_account", Input).value = "6228480012345678901"
        panel.query_one("#m-M01 Select", Select).value = "received"
        panel.query_one("#m-M02 Select", Select).value = "missing_allowed"
        await quiet(pilot)

    assert snap_compare(make_app(background=False), terminal_size=size, run_before=day)


@pytest.mark.parametrize("size", SIZES)
def test_lock_screen(snap_compare, make_app, size) -> None:
    async def locked(pilot: Pilot) -> None:
        await login(pilot)
        await pilot.press("f12")
        await quiet(pilot)

    assert snap_compare(make_app(background=False), terminal_size=size, run_before=locked)


@pytest.mark.parametrize("size", SIZES)
def test_transfer_dialog(snap_compare, make_app, services, size) -> None:
    services.hall().issue("general")

    async def transfer(pilot: Pilot) -> None:
        await login(pilot)
        await pilot.press("f1")
        await settle(pilot)
        await pilot.press("f6")
        await quiet(pilot)

    assert snap_compare(make_app(background=False), terminal_size=size, run_before=transfer)


@pytest.mark.parametrize("size", SIZES)
def test_bundle_intake(snap_compare, make_app, services, size) -> None:
    """一件事受理: the applicant from the card, the shared fields, each member's own."""
    from clerk.desk.bundle_intake import BundleIntakeScreen

    async def newborn(pilot: Pilot) -> None:
        await login(pilot)
        panel = pilot.app.screen.query_one(IntakePanel)
        services.reader()
        services.idcard_simulator.place(0)
        panel.fill_from_card(services.reader().read_card())
        await pilot.press(*"xsecs", "enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, BundleIntakeScreen)
        pilot.app.screen.query_one("#shared-form #f-child_name", Input).value = "张小花"
        pilot.app.screen.set_focus(None)  # no blinking cursor in the picture
        await quiet(pilot)

    assert snap_compare(make_app(background=False), terminal_size=size, run_before=newborn)
