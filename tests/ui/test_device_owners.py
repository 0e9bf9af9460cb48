"""The desk's keys against its device owners (clerk/owners.py): F11 pressed twice while the
printer is busy prints one reprint and says so; a window display with its cable out leaves
呼叫 working and tells the clerk once; a bug in an owner is told in Chinese and the device
serves the next request."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from clerk.services import Services
from devices.base import Scanner
from devices.printer.decode import decode
from tests.ui.conftest import embedded, login, settle, until
from tests.ui.test_day import SIZE
from tests.ui.test_window import notes

pytestmark = pytest.mark.anyio


async def test_f11_twice_while_the_printer_is_busy_prints_once(
    make_app, services: Services
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        item = services.store.items()[0]
        app.desk.tell_once(item, "张三", list(item.materials[:1]))  # the paper F11 reprints
        sim = services.printer_simulator
        assert sim is not None and len(sim.wait_jobs(1)) == 1
        gate = threading.Event()
        printer = app.desk.devices.printer
        printer.ask(lambda p: gate.wait(30))  # the printer is busy with something else
        await pilot.press("f11")
        await until(pilot, lambda: printer.busy("reprint"))
        await pilot.press("f11")  # again, while the first waits
        await until(pilot, lambda: any("正在补打" in n for n in notes(app)))
        gate.set()
        await until(pilot, lambda: any(n.startswith("补打一次性告知书：") for n in notes(app)))
        await settle(pilot)
        assert len(sim.wait_jobs(2)) == 2 and "补打" in decode(sim.jobs[1]).text
        await pilot.press("f11")  # once the reprint is done, F11 reprints again
        await settle(pilot)
        assert len(sim.wait_jobs(3)) == 3


async def test_a_display_with_its_cable_out_never_stops_a_call(
    make_app, services: Services, tmp_path: Path
) -> None:
    services.settings.display.url = str(tmp_path / "no-such-port")  # the LED's cable is out
    embedded(services).issue("general")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        await pilot.press("f1")
        await settle(pilot)
        await until(pilot, lambda: any("窗口显示屏无法连接" in n for n in notes(app)))
        assert any(n.startswith("请") and n.endswith("号到3号窗口办理") for n in notes(app))
        await pilot.press("f2")  # 重呼: the display fails again, the recall goes out
        await settle(pilot)
        await until(pilot, lambda: any(n.endswith("已重呼") for n in notes(app)))
        await until(pilot, lambda: app.desk.devices.display.pending == 0)
        await pilot.pause(0.2)
        assert sum("窗口显示屏无法连接" in n for n in notes(app)) == 1  # told once


async def test_a_bug_in_the_scanner_owner_is_told_and_the_next_scan_works(
    make_app, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        scanner = app.desk.devices.scanner
        opens = [0]
        real = scanner.open_device

        def open_scanner() -> Scanner:
            opens[0] += 1
            if opens[0] == 1:  # the first time: a bug below the owner
                raise TypeError("'NoneType' object is not callable")
            return real()

        monkeypatch.setattr(scanner, "open_device", open_scanner)
        scanner.call(lambda _: scanner._close())  # opened at start (its state): closed again
        broken, _ = scanner.ask(lambda s: s.scan())
        await until(pilot, lambda: any("扫描仪后台任务出错" in n for n in notes(app)))
        assert "请重试" in str(broken.exception())
        done = threading.Event()
        result: list[tuple[str, int]] = []

        def scan() -> None:
            result.append(app.desk.scan())
            done.set()

        threading.Thread(target=scan, daemon=True).start()
        await until(pilot, done.is_set, timeout=60)  # SANE's test backend: one page
        assert result[0][1] == 1 and scanner.alive and scanner.restarts == 1
