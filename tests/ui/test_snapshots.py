"""SVG snapshots of the desk's screens at 80×24 and 120×40 (`pytest --snapshot-update` after
an intended change; look at the SVGs before committing them). Background work is off so that
clocks and the sync state do not change the picture."""

from __future__ import annotations

from datetime import datetime

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select

from clerk.desk.intake import IntakePanel
from offline.clock import CN_TZ
from offline.models import Case
from tests.conftest import pension
from tests.ui.conftest import freeze_clock, login, open_case, settle

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


NOON = datetime(2026, 12, 2, 10, 30, tzinfo=CN_TZ)  # a Wednesday


def ready_case(services, monkeypatch, *, missing: bool = True) -> Case:
    """A 容缺 case accepted at a fixed time, decided by the platform: ready for pickup."""
    freeze_clock(monkeypatch, NOON)
    store = services.store
    case = store.accept(pension(missing=missing), clerk_id="c0107", at=NOON)
    store.mark([op.op_id for op in store.operations(case.case_id)], "acked")
    change = {
        "kind": "case.status",
        "case_id": case.case_id,
        "server_version": 1,
        "status": "ready_for_pickup",
        "official_no": "330212105202612020001",
        "at": NOON.isoformat(),
        "note": "",
    }
    store.apply_changes([change], "1")
    return case


@pytest.mark.parametrize("size", SIZES)
def test_case_page(snap_compare, make_app, services, monkeypatch, size) -> None:
    case = ready_case(services, monkeypatch)

    async def page(pilot: Pilot) -> None:
        await login(pilot)
        await open_case(pilot, case.local_no)
        await quiet(pilot)

    assert snap_compare(make_app(background=False), terminal_size=size, run_before=page)


@pytest.mark.parametrize("size", SIZES)
def test_deliver_dialog(snap_compare, make_app, services, monkeypatch, size) -> None:
    case = ready_case(services, monkeypatch, missing=False)

    async def deliver(pilot: Pilot) -> None:
        await login(pilot)
        await open_case(pilot, case.local_no)
        await pilot.click("#deliver")
        await settle(pilot)
        pilot.app.screen.query_one("#receiver-name", Input).value = "张三"
        await pilot.click("#ok")  # an error, shown above the buttons
        await quiet(pilot)

    assert snap_compare(make_app(background=False), terminal_size=size, run_before=deliver)


@pytest.mark.parametrize("size", SIZES)
def test_intake_with_the_longest_labels(snap_compare, make_app, services, size) -> None:
    async def longest(pilot: Pilot) -> None:
        await login(pilot)
        panel = pilot.app.screen.query_one(IntakePanel)
        panel.query_one("#item-search", Input).focus()
        await pilot.press(*"QR-0021", "enter")  # 共同生活家庭成员人数, 家庭经济状况核对授权书
        await settle(pilot)
        await pilot.press("tab", "tab")  # down to the materials: the form's labels above them
        await quiet(pilot)

    assert snap_compare(make_app(background=False), terminal_size=size, run_before=longest)
