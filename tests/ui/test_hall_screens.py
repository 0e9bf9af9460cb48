"""The hall's kiosk and board under Pilot, on a real hall queue (SQLite), the simulated card
reader on a pty and the printer simulator on TCP; both also against `clerk hall serve`'s HTTP
and event stream on loopback, watched for SQLite or network I/O on the UI thread."""

from __future__ import annotations

import sqlite3
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pytest
from textual.widgets import Button, Digits, Static

from clerk.hall.board import BoardApp
from clerk.hall.client import EmbeddedHall, Issued, RemoteHall
from clerk.hall.kiosk import KioskApp, TicketScreen
from clerk.hall.server import serve_in_thread
from clerk.services import Services
from devices.printer.decode import decode
from offline.clock import CN_TZ
from offline.models import Ticket
from offline.queue import QueueStore
from tests.ui.conftest import settle, until
from tests.unit.test_hall_follower import BrokenOnce

pytestmark = pytest.mark.anyio
SIZES = [(80, 24), (120, 40)]
NOON = datetime(2026, 11, 23, 10, 30, tzinfo=CN_TZ)


def text(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


_WATCHED: list[list[str]] = []  # the lists of the `ui_io()` blocks now running


def _audit(event: str, args: tuple[Any, ...]) -> None:
    """Python's audit events: a connection opened (TCP or SQLite) on the main thread, which
    runs the app's event loop under Pilot."""
    on_ui = threading.current_thread() is threading.main_thread()
    if _WATCHED and on_ui and event in ("socket.connect", "sqlite3.connect"):
        _WATCHED[-1].append(f"{event} {args[-1]}")


sys.addaudithook(_audit)  # for the process's life (hooks cannot be removed); idle outside


@contextmanager
def ui_io() -> Iterator[list[str]]:
    """The connections opened on the UI thread inside the block (none should be)."""
    seen: list[str] = []
    _WATCHED.append(seen)
    try:
        yield seen
    finally:
        _WATCHED.remove(seen)


@contextmanager
def hall_service(store: QueueStore) -> Iterator[tuple[Any, str]]:
    server, url = serve_in_thread(store)
    try:
        yield server, url
    finally:
        server.shutdown()
        server.server_close()


async def test_kiosk_on_the_hall_service_one_ticket_per_touch(services, tmp_path) -> None:
    """Touches repeated while a ticket is issued (the hall's database busy for a moment) take
    one ticket; the hall going away is one Chinese line and takes none; nothing runs on the
    UI thread."""
    store = QueueStore(tmp_path / "hall.db")
    store.set_window(3, ["general"])
    other = sqlite3.connect(tmp_path / "hall.db", isolation_level=None)  # another writer
    with hall_service(store) as (server, url), ui_io() as seen:
        services.settings.hall.url, services.settings.hall.key = url, store.hall_key()
        app = KioskApp(services)
        async with app.run_test(size=(100, 30)) as pilot:
            await until(pilot, lambda: app.kinds == ["general"])
            other.execute("BEGIN IMMEDIATE")  # the hall waits for it (busy timeout)
            await pilot.press("1", "1")
            await pilot.click("#kind-general")
            await pilot.press("1")
            assert text(app, "#message") == "正在取号……" and app.taking
            other.execute("COMMIT")
            await settle(pilot)
            assert app.screen.query_one(Digits).value == "C001"
            await pilot.press("escape", "1")
            await settle(pilot)
            assert app.screen.query_one(Digits).value == "C002"  # not C005: one per touch
            await pilot.press("escape")
            assert store.waiting() == {"general": 2}
            jobs = [decode(job).text for job in services.printer_simulator.wait_jobs(2)]
            assert ["C001" in jobs[0], "C002" in jobs[1]] == [True, True]

            server.shutdown()
            await pilot.press("1")
            await settle(pilot)
            assert text(app, "#message") == "叫号服务暂时连接不上，请稍候或咨询工作人员"
            assert not isinstance(app.screen, TicketScreen) and not app.taking
        assert not app.devices.card.alive  # the reader's owner ended with the kiosk
    assert seen == []
    assert store.waiting() == {"general": 2}
    other.close()
    store.close()


async def test_kiosk_card_kind_ticket_and_printout(services: Services) -> None:
    hall = services.hall()
    assert isinstance(hall, EmbeddedHall)  # no [hall] url in the test config
    hall.store.set_window(3, ["general", "social_security"])
    app = KioskApp(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        kinds = [str(b.label) for b in app.query("#kinds Button").results(Button)]
        assert kinds == ["1  社会保障", "2  综合服务"]  # what the windows serve

        services.reader()
        services.idcard_simulator.place(0)
        await until(pilot, lambda: "已读取身份证" in text(app, "#card"))
        assert "3302**********1238" in text(app, "#card")  # masked where the hall can see
        await pilot.press("2")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        assert app.screen.query_one(Digits).value == "C001"
        printed = decode(services.printer_simulator.wait_jobs(1)[-1]).text
        assert "C001" in printed and "前面还有 0 人" in printed and "过号请重新取号" in printed
        await pilot.press("enter")
        assert not isinstance(app.screen, TicketScreen)
        assert "可将身份证" in text(app, "#card")  # the card went with the ticket

        services.idcard_simulator.lift()
        await pilot.pause(1.2)  # the reader polls twice a second
        services.idcard_simulator.place(0)  # the same person again, same kind
        await until(pilot, lambda: "已读取身份证" in text(app, "#card"))
        await pilot.press("2")
        await settle(pilot)
        assert "已有一个该业务的号" in text(app, "#message")

        await pilot.press("0", "1")  # green channel, 社会保障
        await settle(pilot)
        assert app.screen.issued.ticket.green_channel
        await pilot.press("escape")
        assert not app.green  # one ticket only

        services.printer_simulator.paper_out = True
        await pilot.click("#kind-general")
        await settle(pilot)
        assert app.screen.query_one(Digits).value == "C002"
        assert "请记下您的号码" in str(app.screen.query(Static).last().render())
        await pilot.press("escape")
        services.printer_simulator.paper_out = False
        await pilot.press("2")
        await settle(pilot)
        last = decode(services.printer_simulator.wait_jobs(3)[-1]).text
        assert "C003" in last and "C002" not in last  # no stale ticket in front of it


async def test_kiosk_shows_the_number_when_the_ticket_cannot_print(services) -> None:
    """A centre's ticket template that is broken: the ticket was issued, so its number shows
    with the paper's own Chinese words, and nothing is printed."""
    (services.home / "papers").mkdir()
    (services.home / "papers" / "ticket.txt").write_text("{{ ticket.number ", "utf-8")
    hall = services.hall()
    hall.store.set_window(3, ["general"])
    app = KioskApp(services, live=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("1")
        await settle(pilot)
        assert app.screen.query_one(Digits).value == "C001"
        line = str(app.screen.query(Static).last().render())
        assert (
            line.startswith("号票未能打印（排队号模板有误（ticket.txt）")
            and "请记下您的号码" in line
        )
    assert services.printer_simulator is None or not services.printer_simulator.jobs


async def test_kiosk_says_when_the_hall_is_away(services: Services) -> None:
    services.settings.hall.url = "http://127.0.0.1:9"  # nothing listens
    app = KioskApp(services, live=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert "叫号服务暂时连接不上" in text(app, "#message")
        assert not app.query("#kinds Button")


async def test_board_follows_calls_and_never_shows_people(services: Services) -> None:
    hall = services.hall()
    hall.issue("general", id_number="330212198001011238")
    hall.issue("general")
    app = BoardApp(hall, "示范镇便民服务中心")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "等待叫号" in text(app, "#to")
        hall.call_next(3, "c0107")
        await until(pilot, lambda: app.query_one("#number", Digits).value == "C001")
        assert text(app, "#to") == "到 3 号窗口办理"
        hall.call_next(5, "c0108")
        await until(pilot, lambda: app.query_one("#number", Digits).value == "C002")
        assert "C001→3号窗口" in text(app, "#recent")
        hall.pause(5, "系统维护", "c0108")
        app.refresh_board()
        await settle(pilot)
        shown = [str(s.render()) for s in app.query("#windows Static").results(Static)]
        assert shown[1:] == [" 3号    C001", " 5号    暂停服务"]
        screen = " ".join(str(s.render()) for s in app.query(Static).results(Static))
        assert "3302" not in screen and "系统维护" not in screen and "c0107" not in screen


async def test_board_shows_a_lost_hall_and_catches_up(tmp_path) -> None:
    store = QueueStore(tmp_path / "hall.db")
    server, url = serve_in_thread(store)
    port = int(url.rsplit(":", 1)[1])
    remote = RemoteHall(url, store.hall_key(), timeout=1)
    for _ in range(3):
        store.issue("general")
    app = BoardApp(remote, "示范镇便民服务中心")
    try:
        with ui_io() as seen:
            async with app.run_test(size=(120, 40)) as pilot:
                await until(pilot, lambda: "等候" in text(app, "#waiting"))
                followers = [t for t in threading.enumerate() if t.name == "hall-follower"]
                assert followers == [app.hall_follower.thread]  # the follow job's one owner
                server.shutdown()
                server.server_close()
                await until(pilot, lambda: app.query_one("#link").has_class("broken"))
                store.call_next(3, None, "c0107")  # called while the board was cut off
                server, _ = serve_in_thread(store, port=port)
                await until(pilot, lambda: not app.query_one("#link").has_class("broken"), 15)
                await until(pilot, lambda: app.query_one("#number", Digits).value == "C001")
        assert seen == []
    finally:
        server.shutdown()
        server.server_close()
        remote.close()
        store.close()


async def test_board_survives_a_bug_in_its_follower(tmp_path) -> None:
    """A bug below the follower is told on the board once, and the board follows again."""
    store = QueueStore(tmp_path / "hall.db")
    with hall_service(store) as (_, url):
        remote = BrokenOnce(url, store.hall_key(), timeout=1)
        app = BoardApp(remote, "示范镇便民服务中心")
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: app.hall_follower.restarts == 1)
            store.issue("general")
            store.call_next(3, None, "c0107")
            await until(pilot, lambda: app.query_one("#number", Digits).value == "C001")
            shown = [str(n.message) for n in app._notifications]
            assert shown == ["叫号服务后台任务出错（KeyError），已自动重启"]
        remote.close()
    store.close()


# --- snapshots ------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_kiosk_snapshot(snap_compare, services, size) -> None:
    assert snap_compare(KioskApp(services, live=False), terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES)
def test_kiosk_ticket_snapshot(snap_compare, services, size) -> None:
    ticket = Ticket(number="C007", kind="general", issued_at=NOON)

    async def taken(pilot) -> None:
        await settle(pilot)
        pilot.app.push_screen(TicketScreen(Issued(ticket, 3), "请取走号票", True))
        await pilot.pause()

    app = KioskApp(services, live=False)
    assert snap_compare(app, terminal_size=size, run_before=taken)


@pytest.mark.parametrize("size", SIZES)
def test_board_snapshot(snap_compare, services, size) -> None:
    board = {
        "calls": [
            {"number": "C007", "window_no": 3, "at": "2026-11-23T10:29:00+08:00"},
            {"number": "A012", "window_no": 1, "at": "2026-11-23T10:27:00+08:00"},
            {"number": "B004", "window_no": 2, "at": "2026-11-23T10:21:00+08:00"},
        ],
        "windows": {
            "1": {"number": "A012", "paused": False},
            "2": {"number": "B004", "paused": False},
            "3": {"number": "C007", "paused": False},
            "4": {"number": None, "paused": True},
        },
        "waiting": {"social_security": 4, "general": 2},
    }

    async def painted(pilot) -> None:
        pilot.app.show_board(board)
        await pilot.pause()

    app = BoardApp(services.hall(), "示范镇便民服务中心", clock=lambda: NOON, live=False)
    assert snap_compare(app, terminal_size=size, run_before=painted)
