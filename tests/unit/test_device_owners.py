"""The printer, scanner, evaluator and window display each have one owner (clerk/owners.py):
the desk's steps from several threads at once, against the real simulators (the printer on
TCP capturing ESC/POS bytes, the evaluator on a pty, a scan folder), a device that is not
configured or broken, and an owner that meets a bug."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from clerk import config
from clerk import demo as demo_data
from clerk.cli.setup import setup_home
from clerk.owners import (
    Busy,
    DeviceFailed,
    DeviceOwner,
    Event,
    OwnerRestarted,
    Restarted,
    StateChanged,
)
from clerk.services import Services, build
from clerk.window import Desk
from devices.display import SimulatedDisplay
from devices.errors import DeviceNotConfigured, DeviceUnavailable
from devices.printer.decode import decode
from devices.printer.document import Document, Line
from devices.printer.printer import PrinterSettings, ReceiptPrinter
from devices.printer.simulator import PrinterSimulator

DEADLINE = 20.0  # generous: a loaded two-core machine


def home_with(tmp_path: Path, change: Callable[[config.Settings], None] = lambda s: None) -> Path:
    home = tmp_path / "home"
    setup_home(home, **demo_data.CENTRE, window_no=3, window_kind="general")
    settings = config.load(home)
    demo_data.simulate_devices(settings, tmp_path)
    change(settings)
    config.save(home, settings)
    return home


@pytest.fixture
def make_desk(tmp_path: Path) -> Iterator[Callable[..., tuple[Desk, queue.Queue[Event]]]]:
    made: list[Services] = []

    def make(change: Callable[[config.Settings], None] = lambda s: None) -> Any:
        services = build(home_with(tmp_path, change))
        made.append(services)
        demo_data.prepare(services.store, by="test")
        desk = Desk(services)
        events: queue.Queue[Event] = queue.Queue()
        desk.devices.listen(events.put)
        desk.login("c0107", "1234")
        return desk, events

    yield make
    for services in made:
        services.close()


def until(check: Callable[[], Any], timeout: float = DEADLINE) -> Any:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        result = check()
        if result:
            return result
        time.sleep(0.02)
    raise AssertionError("timed out waiting")


def next_event(events: queue.Queue[Event], kind: type, device: str = "") -> Any:
    """The next event of `kind` (of `device` when given: every owner reports its state)."""
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        event = events.get(timeout=max(0.01, end - time.monotonic()))
        if isinstance(event, kind) and device in ("", getattr(event, "device", "")):
            return event
    raise AssertionError(f"no {kind.__name__}")


def in_thread(fn: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(fn())
        except Exception as error:
            out.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


# --- the printer -------------------------------------------------------------------------------


def test_prints_and_polls_from_many_threads_print_each_job_once(tmp_path: Path) -> None:
    """Six threads printing and one polling the spool, as the desk's steps and its printer
    poll do. On the bare `ReceiptPrinter` two flushes at once both send a waiting job (the
    kiosk's ticket printed twice); through the owner every job prints exactly once."""
    sim = PrinterSimulator()
    host, port = sim.serve()
    printer = ReceiptPrinter(PrinterSettings(f"tcp://{host}:{port}"), tmp_path / "spool")
    owner: DeviceOwner[ReceiptPrinter] = DeviceOwner("打印机", lambda: printer, lambda e: None)
    try:

        def printing(n: int) -> None:
            for k in range(5):
                doc = Document(f"job {n}-{k}", (Line(f"J{n}-{k}"),))
                owner.call(partial(ReceiptPrinter.print, doc=doc))

        def polling() -> None:
            for _ in range(20):
                owner.call(lambda p: p.flush(), key="flush")

        threads = [threading.Thread(target=printing, args=(n,)) for n in range(6)]
        threads.append(threading.Thread(target=polling))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(DEADLINE)
        texts = [decode(job).text for job in sim.wait_jobs(30, timeout=DEADLINE)]
        marks = sorted(line.strip() for text in texts for line in text.splitlines() if "J" in line)
        assert marks == sorted(f"J{n}-{k}" for n in range(6) for k in range(5))
        assert printer.spool.pending() == []
    finally:
        owner.stop()
        sim.close()


def test_f11_pressed_while_reprinting_prints_once(make_desk) -> None:
    desk, _ = make_desk()
    item = desk.store.items()[0]
    desk.tell_once(item, "张三", list(item.materials[:1]))
    sim = desk.services.printer_simulator  # started by the first print
    assert sim is not None
    assert len(sim.wait_jobs(1)) == 1
    gate = threading.Event()
    desk.devices.printer.ask(lambda p: gate.wait(DEADLINE))  # the printer is busy a while
    first, answer = in_thread(desk.reprint)
    until(lambda: desk.devices.printer.busy("reprint"))
    with pytest.raises(Busy, match="正在补打一次性告知书，请稍候"):
        desk.reprint()  # F11 again while the first waits: told, not queued
    gate.set()
    first.join(DEADLINE)
    name, printed = answer[0]
    assert name == "一次性告知书" and printed.printed == 1
    desk.reprint()  # F11 after the reprint is done: a new one, as asked
    jobs = sim.wait_jobs(3)
    time.sleep(0.3)  # nothing more comes
    assert len(sim.jobs) == 3 and "补打" in decode(jobs[1]).text
    audited = [a for a in desk.store.audit_entries() if a.action == "print.again"]
    assert len(audited) == 2


# --- the scanner -------------------------------------------------------------------------------


def test_f10_pressed_while_scanning_scans_once(make_desk, tmp_path: Path) -> None:
    """With a scan folder: the second F10 is told a scan is in progress instead of waiting
    for the same sheet (today one of the two took it and the other failed or took it too)."""
    folder = tmp_path / "scans"
    folder.mkdir()  # the share the scanner drops its files into

    def use_folder(settings: config.Settings) -> None:
        settings.scanner.folder = str(folder)

    desk, _ = make_desk(use_folder)
    first, answer = in_thread(desk.scan)
    until(lambda: desk.devices.scanner.busy("scan"))
    with pytest.raises(Busy, match="正在扫描上一份材料"):
        desk.scan()
    (folder / "page.pdf").write_bytes(b"%PDF-1.4\n% one page\n")
    first.join(DEADLINE)
    sha, pages = answer[0]
    assert pages == 1 and desk.services.blobs().get(sha).startswith(b"%PDF-")
    assert len(list((folder / "taken").iterdir())) == 1


def test_a_scanner_not_configured_says_so_each_time(make_desk) -> None:
    def no_scanner(settings: config.Settings) -> None:
        settings.scanner.device = ""

    desk, _ = make_desk(no_scanner)
    for _ in range(2):  # the failed request does not hold the key: F10 again is asked again
        with pytest.raises(DeviceNotConfigured, match="未配置扫描仪"):
            desk.scan()


# --- the evaluator -----------------------------------------------------------------------------


def rating_asked(make_desk) -> Any:
    """A desk whose evaluator shows 就绪, asked for a rating on a thread of its own: the
    desk, its events, the keypad's simulator (lit) and the asking thread with its answer."""
    desk, events = make_desk()
    desk.devices.check()
    assert next_event(events, StateChanged, "评价器") == StateChanged("评价器", "就绪", True)
    sim = desk.services.evaluator_simulator
    asking = in_thread(lambda: desk.ask_rating(lambda: False))
    assert sim.asked(DEADLINE)
    return desk, events, sim, asking


def test_a_rating_asked_again_takes_the_keypad(make_desk) -> None:
    """Two ratings asked at once (a second dialog over the first): one press rates the one
    asked last, never both and never the other (today both read the port and either could
    get it)."""
    desk, _, sim, (older, older_level) = rating_asked(make_desk)
    newer, newer_level = in_thread(lambda: desk.ask_rating(lambda: False))
    assert sim.asked(DEADLINE)  # the keypad lit again, for the newer one
    older.join(DEADLINE)
    assert older_level == [None]
    sim.press(2)
    newer.join(DEADLINE)
    assert newer_level == ["satisfied"]


def test_an_evaluator_unplugged_while_asked_shows_in_the_status(make_desk) -> None:
    _, events, sim, (asking, level) = rating_asked(make_desk)
    sim.close()  # the keypad's cable is pulled while it waits for a press
    asking.join(DEADLINE)
    assert isinstance(level[0], DeviceUnavailable) and "评价器" in str(level[0])
    assert next_event(events, StateChanged, "评价器") == StateChanged("评价器", "故障", False)


def test_an_evaluator_not_configured_shows_in_the_status(make_desk) -> None:
    def no_evaluator(settings: config.Settings) -> None:
        settings.evaluator.url = ""

    desk, events = make_desk(no_evaluator)
    desk.devices.check()
    assert next_event(events, StateChanged, "评价器") == StateChanged("评价器", "未配置", False)


# --- the window display ------------------------------------------------------------------------


def test_a_broken_display_never_fails_the_call(make_desk, tmp_path: Path) -> None:
    """The LED's cable is out: the citizen is still called (the hall and the voice), and the
    clerk is told once that the display did not show it (today the call step failed)."""

    def broken_display(settings: config.Settings) -> None:
        settings.display.url = str(tmp_path / "no-such-port")

    desk, events = make_desk(broken_display)
    desk.services.hall().issue("general")
    desk.services.hall().issue("general")
    ticket = desk.call_next()
    assert ticket is not None
    failed = next_event(events, DeviceFailed)
    assert failed.device == "窗口显示屏" and "窗口显示屏无法连接" in failed.message
    assert desk.call_next() is not None  # the next call too; the same streak is told once
    until(lambda: desk.devices.display.pending == 0)
    assert not any(isinstance(e, DeviceFailed) for e in _drain(events))


def test_display_calls_show_in_the_order_asked(make_desk) -> None:
    desk, _ = make_desk()
    desk.services.hall().issue("general")
    ticket = desk.call_next()
    assert ticket is not None
    desk.pause("临时离开")
    desk.resume()
    until(lambda: desk.devices.display.pending == 0)
    display = desk.services.display()
    assert isinstance(display, SimulatedDisplay)
    shown = display.shown
    assert shown[-3:] == [f"{ticket.number} 请到3号窗口", "暂停服务", "3号窗口"]


# --- an owner that meets a bug -----------------------------------------------------------------


def test_an_owner_that_meets_a_bug_restarts_and_says_so() -> None:
    """A bug in opening the device: the request is answered, the clerk told, the owner goes
    on. A bug in a request is that request's answer (its asker explains it), and the device
    is reopened for the next one."""
    opened: list[int] = []
    events: queue.Queue[Event] = queue.Queue()

    def open_device() -> list[int]:
        opened.append(1)
        if len(opened) == 1:
            raise IndexError("list index out of range")  # the first time: a bug below us
        return opened

    owner: DeviceOwner[list[int]] = DeviceOwner("打印机", open_device, events.put)
    try:
        with pytest.raises(Restarted, match="打印机出错，本次未完成，请重试"):
            owner.call(len)
        restarted = next_event(events, OwnerRestarted)
        assert restarted.message == "打印机后台任务出错（IndexError），已自动重启"
        assert owner.call(len) == 2  # opened again, and serving
        pages: dict[str, int] = {}
        with pytest.raises(KeyError):
            owner.call(lambda device: pages["first"])  # a bug in the request: its answer
        assert owner.call(len) == 3  # reopened for the next request
        assert owner.alive and owner.restarts == 1
    finally:
        owner.stop()
    with pytest.raises(Exception, match="打印机已停止使用"):
        owner.call(len)


def _drain(events: queue.Queue[Event]) -> list[Event]:
    out = []
    while not events.empty():
        out.append(events.get())
    return out
