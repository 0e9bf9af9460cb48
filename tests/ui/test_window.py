"""The window's session and queue keys: takeover by a backup clerk, lock, the printer
running out of paper, the hall service going away."""

from __future__ import annotations

import socket
import threading

import pytest
from textual.widgets import Input, Label, Select, Static

from clerk.desk.desk_screen import DeskScreen
from clerk.desk.dialogs import ChoiceDialog, TextDialog, TransferDialog
from clerk.desk.login import LoginScreen
from clerk.hall.client import RemoteHall
from clerk.hall.server import serve_in_thread
from clerk.services import Services
from clerk.window import Desk, Session
from offline.models import Case, CaseQuery
from offline.queue import PAUSE_REASON_MAX, QueueStore
from tests.ui.conftest import embedded, login, settle, shown, until
from tests.ui.test_day import SIZE, fill_pension

pytestmark = pytest.mark.anyio


async def accept_from_card(pilot, services: Services) -> Case:
    """The sample card on the reader, the pension item, 受理: the case as stored."""
    panel = pilot.app.screen.query_one("IntakePanel")
    services.idcard_simulator.place(0)
    await until(pilot, lambda: panel.query_one("#applicant-name", Input).value)
    await fill_pension(pilot, panel)
    await pilot.press("ctrl+s")
    await settle(pilot)
    return services.store.search_cases(CaseQuery(text="张三"))[0]


def notes(app) -> list[str]:
    return [n.message for n in app._notifications]


async def test_lock_then_backup_clerk_takes_over_and_leaves_a_note(
    make_app, services: Services
) -> None:
    store = services.store
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        await pilot.press("f12")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen) and app.locked
        app.screen.query_one("#clerk-id", Input).value = "c0108"  # the backup clerk
        await pilot.press(*"0000", "enter")
        await settle(pilot)
        assert "PIN" in str(app.screen.query_one("#error").render())
        await pilot.press(*"5678", "enter")
        await settle(pilot)
        assert isinstance(app.screen, DeskScreen) and not app.locked
        top = str(app.screen.query_one("#top", Static).render())
        assert "AB岗顶岗，本窗口A岗：李娜（c0107）" in top
        await pilot.press("ctrl+t")  # a consultation, recorded under the backup clerk
        await settle(pilot)
        assert any("今日第 1 次" in n for n in notes(app))
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert isinstance(app.screen, TextDialog)
        prompt = " ".join(str(label.render()) for label in app.screen.query(Label))
        assert "本窗口A岗（李娜）" in prompt  # by name, as the clerks know each other
        await pilot.press(*"C003 挂起待复印", "enter")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        await login(pilot)  # the window's own clerk is back and reads the note
        assert any("C003 挂起待复印" in n for n in notes(app))
        assert store.unread_notes("c0107") == []
    actions = {(e.clerk_id, e.action) for e in store.audit_entries(limit=50)}
    assert {
        ("c0107", "desk.lock"),
        ("c0108", "desk.takeover"),
        ("c0108", "consultation"),
        ("c0108", "handover.note"),
        ("c0107", "desk.login"),
    } <= actions


async def test_queue_keys_recall_park_call_back_transfer_pause(
    make_app, services: Services
) -> None:
    hall = embedded(services)
    for _ in range(3):
        hall.issue("general")
    hall.store.set_window(5, ["general"])
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        await pilot.press("f1")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert hall.view(3).current.number == "C001"
        await pilot.press("f7")  # C001 goes to copy a document
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        assert hall.view(3).current.number == "C002"
        await pilot.press("f4")  # C002 did not come
        await settle(pilot)
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.click("Button")
        await settle(pilot)
        assert hall.view(3).current.number == "C001"
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, TransferDialog)
        app.screen.query_one("#window", Select).value = 5
        await pilot.click("#ok")
        await settle(pilot)
        assert hall.view(3).current is None
        assert hall.call_next(5, "c0200").number == "C001"  # the number did not change
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press(*("系统维护" * 6))  # 24 characters: the dialog takes 20
        assert len(app.screen.query_one("#text", Input).value) == PAUSE_REASON_MAX
        await pilot.press(*["backspace"] * PAUSE_REASON_MAX, *"系统维护", "enter")
        await settle(pilot)
        assert shown(services) == "暂停服务"
        await pilot.press("f1")
        await settle(pilot)
        assert any("暂停服务" in n for n in notes(app))
        assert "暂停服务" in str(app.screen.query_one("#q-paused").render())
        await pilot.press("f5")  # resume
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        assert hall.view(3).current.number == "C003"


async def test_printer_out_of_paper_keeps_the_case_and_prints_later(
    make_app, services: Services
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        services.printer()
        services.printer_simulator.paper_out = True
        case = await accept_from_card(pilot, services)
        assert case.status == "accepted"  # saved whatever the printer does
        assert any("缺纸" in line for line in map(str, app.screen.lines))
        assert services.printer_simulator.jobs == []
        await pilot.press("enter", "escape")
        await settle(pilot)
        assert "缺纸" in str(app.screen.query_one("StatusBar").render())
        services.printer_simulator.paper_out = False
        app.check_printer()
        await settle(pilot)
        printed = services.printer_simulator.wait_jobs(1)
        assert len(printed) == 1
        assert any("补打 1 份" in n for n in notes(app))


async def test_hall_service_unreachable_is_a_state_walk_ins_work_and_it_comes_back(
    make_app, services: Services, tmp_path
) -> None:
    store = QueueStore(tmp_path / "hall.db")
    with socket.socket() as probe:  # a port where the hall service will be, once it is up
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    services._hall = RemoteHall(f"http://127.0.0.1:{port}", store.hall_key(), timeout=0.5)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        assert "叫号服务离线" in str(app.screen.query_one("#q-paused").render())
        await pilot.press("f1")
        await settle(pilot)
        assert any("叫号服务连接不上" in n for n in notes(app))
        case = await accept_from_card(pilot, services)
        assert case.status == "accepted" and case.payload.ticket is None

        await pilot.press("enter")  # the receipt's preview closed
        await settle(pilot)
        await pilot.click("#none")  # the citizen left without rating
        await settle(pilot)

        store.issue("general")  # the hall PC is back
        server, _ = serve_in_thread(store, port=port)
        try:
            await pilot.press("f1")
            await settle(pilot)
            assert store.current(3).number == "C001"
            assert "叫号服务离线" not in str(app.screen.query_one("#q-paused").render())
        finally:
            server.shutdown()
            server.server_close()
    store.close()


async def test_a_ticket_from_the_kiosk_shows_at_the_window_by_itself(
    make_app, services: Services
) -> None:
    hall = services.hall()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        panel = app.screen.query_one("QueuePanel")
        assert "等候 0 人" in " ".join(str(s.render()) for s in panel.query(Static))
        hall.issue("general")  # at the kiosk: no key pressed here, the hall's events tell
        await until(
            pilot, lambda: "等候 1 人" in " ".join(str(s.render()) for s in panel.query(Static))
        )


async def test_no_show_and_transfer_of_a_served_ticket_are_asked_first(
    make_app, services: Services
) -> None:
    hall = embedded(services)
    hall.issue("general")
    hall.store.set_window(5, ["general"])
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        await pilot.press("f1")
        await settle(pilot)
        await pilot.press("f6")  # nothing done for C001 yet: straight to the dialog
        await settle(pilot)
        assert isinstance(app.screen, TransferDialog)
        windows = app.screen.query_one("#window", Select)
        assert [value for _, value in windows._options[1:]] == [5]  # not 99, not this one
        await pilot.press("escape")
        await settle(pilot)
        case = await accept_from_card(pilot, services)
        assert case.payload.ticket == "C001"
        await pilot.press("enter", "escape")  # the result closed, the citizen did not rate
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceDialog)
        assert "已办理 1 件" in str(app.screen.query_one("Label.title").render()) + " ".join(
            str(label.render()) for label in app.screen.query("Label")
        )
        await pilot.click("#cancel")  # 返回
        await settle(pilot)
        assert hall.view(3).current.state != "no_show"
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.click("ChoiceDialog Button")  # 确认转移
        await settle(pilot)
        assert isinstance(app.screen, TransferDialog)


async def test_palette_in_chinese_by_pinyin_initials(make_app, services: Services) -> None:
    from textual.command import CommandList

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"hj")
        commands = app.screen.query_one(CommandList)
        await until(pilot, lambda: commands.option_count)
        first = str(commands.get_option_at_index(0).prompt)
        assert first.startswith("呼叫"), first
        await pilot.press(*"qqqq")
        await until(
            pilot,
            lambda: (
                commands.option_count
                and "没有匹配的命令" in str(commands.get_option_at_index(0).prompt)
            ),
        )


async def test_handover_note_is_reopened_with_the_backup_clerks_name(
    make_app, services: Services
) -> None:
    services.store.leave_note("c0108", "c0107", "C003 挂起待复印")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        assert any("陈伟（c0108）" in n for n in notes(app))
        app.clear_notifications()
        await pilot.press("ctrl+y")
        await settle(pilot)
        shown = " ".join(str(label.render()) for label in app.screen.query("Label"))
        assert "陈伟（c0108）：C003 挂起待复印" in shown


async def test_the_evaluator_is_in_the_status_bar(make_app, services: Services) -> None:
    from widgets.status_bar import StatusBar

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        bar = app.screen.query_one(StatusBar)
        await until(pilot, lambda: "评价器" in bar.devices)
        assert bar.devices["评价器"] == ("就绪", True)


async def test_enter_twice_on_the_pin_logs_in_once(
    make_app, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slow check of the PIN (a busy disk) and Enter pressed again: one login."""
    release, real = threading.Event(), Desk.login

    def login(self: Desk, clerk_id: str, pin: str) -> Session:
        release.wait(10)
        return real(self, clerk_id, pin)

    monkeypatch.setattr(Desk, "login", login)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"c0107", "enter", *"1234", "enter", "enter", "enter")
        release.set()
        await settle(pilot)
        assert isinstance(app.screen, DeskScreen) and len(app.screen_stack) == 2
    actions = [e.action for e in services.store.audit_entries(limit=20)]
    assert actions.count("desk.login") == 1
