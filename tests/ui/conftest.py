"""The desk under Pilot: a real home directory, store, embedded hall, and the simulators
speaking their real protocols (card reader and evaluator on ptys, printer on TCP, SANE's
test backend)."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from clerk import config
from clerk import demo as demo_data
from clerk.cli.setup import setup_home
from clerk.desk.app import DeskApp
from clerk.hall.client import EmbeddedHall
from clerk.services import Services, build
from clerk.window import Desk
from devices.display import SimulatedDisplay
from tests.ui.ui_thread import UiThreadWatch


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    home = tmp_path / "home"
    setup_home(home, **demo_data.CENTRE, window_no=3, window_kind="general")
    settings = config.load(home)
    settings.window.clerk = "c0107"
    demo_data.simulate_devices(settings, tmp_path)
    settings.platform.sync_interval = 3600
    config.save(home, settings)
    svc = build(home)
    demo_data.prepare(svc.store, by="test")
    yield svc
    svc.close()


@pytest.fixture
def make_app(services: Services) -> Iterator[Callable[..., DeskApp]]:
    """The desk on the test's services; afterwards, no store, hall, device or domain call
    was made on the UI thread (architecture rule 2, `ui_thread.py`)."""
    watches: list[UiThreadWatch] = []

    def make(**kwargs: Any) -> DeskApp:
        desk = Desk(services)
        watches.append(UiThreadWatch(services, desk))
        return DeskApp(desk, demo=True, **kwargs)

    yield make
    calls = [call for watch in watches for call in watch.calls]
    assert not calls, f"{len(calls)} calls on the UI thread, the first:\n{calls[0]}"


async def settle(pilot: Pilot, timeout: float = 15.0) -> None:
    """Wait until the desk's steps (worker threads) are done and the screen is updated."""
    app = pilot.app
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        await pilot.pause()
        busy = [w for w in app.workers if w.group not in ("cards", "rating") and w.is_running]
        if not busy and not _asked(app):
            break
        await asyncio.sleep(0.02)
    await pilot.pause()


def _asked(app: Any) -> int:
    """The desk's requests to its printer, scanner and window display not yet answered."""
    desk = getattr(app, "desk", None)  # the kiosk and the board have none
    if desk is None:
        return 0
    return sum(
        owner.pending
        for owner in (desk.devices.printer, desk.devices.scanner, desk.devices.display)
    )


async def until(pilot: Pilot, check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Wait for something a background thread brings (a card, a rating)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        await pilot.pause()
        result = check()
        if result:
            return result
        await asyncio.sleep(0.05)
    raise AssertionError("timed out waiting")


async def login(pilot: Pilot, clerk_id: str = "c0107", pin: str = "1234") -> None:
    await pilot.press(*clerk_id, "enter", *pin, "enter")
    await settle(pilot)


async def open_case(pilot: Pilot, local_no: str) -> None:
    """Ctrl+F, the case number, Enter to search and Enter on the one row: its page."""
    await pilot.press("ctrl+f")
    await settle(pilot)
    await pilot.press(*local_no, "enter")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def shown(services: Services) -> str:
    """What the simulated window display shows now."""
    screen = services.display()
    assert isinstance(screen, SimulatedDisplay)
    return screen.current


def embedded(services: Services) -> EmbeddedHall:
    """The hall embedded in the window (no `[hall] url` in the test config)."""
    hall = services.hall()
    assert isinstance(hall, EmbeddedHall)
    return hall


def freeze_clock(monkeypatch: pytest.MonkeyPatch, at: datetime) -> None:
    """Every module's `now` (imported by name from offline.clock) gives `at`: pictures and
    timelines that do not change with the day the tests run."""
    from offline import clock

    real = clock.now
    for module in list(sys.modules.values()):
        if getattr(module, "now", None) is real:
            monkeypatch.setattr(module, "now", lambda: at)


def screen_lines(app: Any) -> list[str]:
    """The rows of the screen as the terminal shows them now (toasts and footer included)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]
