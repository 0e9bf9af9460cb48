"""Every device implementation against its Protocol in `devices.base`.

Each test holds the implementation in a variable typed as the Protocol, so mypy (run by
`make test`) checks the signatures, and then drives it through that Protocol over the real
transport: a pty, TCP, `scanimage`'s test backend, a folder, a WAV file.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from devices.base import CardReader, Display, Evaluator, Printer, Scanner, Voice
from devices.display import SimulatedDisplay, TemplateDisplay, TemplateSettings
from devices.errors import ScannerError
from devices.evaluator import EvaluatorSimulator, SerialEvaluator
from devices.idcard.reader import ReaderSettings, SamReader
from devices.idcard.simulator import SamSimulator
from devices.printer.decode import decode
from devices.printer.document import Document, Line
from devices.printer.printer import PrinterSettings, ReceiptPrinter
from devices.printer.simulator import PrinterSimulator
from devices.scanner.folder import ScanFolder
from devices.scanner.sane import SaneScanner, ScannerSettings
from devices.voice import Announcer, VoiceSettings


def test_sam_reader_is_a_card_reader(tmp_path: Path) -> None:
    sim = SamSimulator()
    reader: CardReader = SamReader(ReaderSettings(url=sim.serve_pty(), timeout=0.5))
    try:
        assert isinstance(reader, CardReader)
        assert reader.read_card() is None  # no card: a result, not an error
        placed = sim.place(0)
        card = reader.read_card()
        assert card is not None and card.id_number == placed.id_number
    finally:
        reader.close()
        sim.close()


def test_receipt_printer_is_a_printer(tmp_path: Path) -> None:
    sim = PrinterSimulator()
    host, port = sim.serve()
    printer: Printer = ReceiptPrinter(PrinterSettings(f"tcp://{host}:{port}"), tmp_path)
    try:
        assert isinstance(printer, Printer)
        result = printer.print(Document("测试", (Line("协议检查"),)))
        assert (result.printed, result.waiting) == (1, 0)
        assert "协议检查" in decode(b"".join(sim.wait_jobs(1))).text
        assert printer.status() == "ok"
        assert printer.print_now(Document("号票", (Line("A001"),))).printed == 1
        assert "A001" in decode(b"".join(sim.wait_jobs(2)[1:])).text
    finally:
        sim.close()


@pytest.fixture
def sane_dir(tmp_path: Path) -> str:
    (tmp_path / "sane").mkdir()
    (tmp_path / "sane" / "dll.conf").write_text("test\n")
    return str(tmp_path / "sane")


def test_sane_scanner_is_a_scanner(sane_dir: str) -> None:
    settings = ScannerSettings(device="test:0", resolution=50, sane_config_dir=sane_dir)
    scanner: Scanner = SaneScanner(settings)
    assert isinstance(scanner, Scanner)
    [page] = scanner.scan()
    assert page.startswith(b"\xff\xd8")  # a JPEG


def test_scan_folder_is_a_scanner(tmp_path: Path) -> None:
    """F10 with `[scanner] folder` set: `scan()` waits for the copier's file and takes it."""
    folder = ScanFolder(tmp_path / "inbox", settle=0.1, timeout=5)
    scanner: Scanner = folder
    assert isinstance(scanner, Scanner)
    drop = threading.Timer(0.2, (tmp_path / "inbox" / "scan.pdf").write_bytes, [b"%PDF-1.4 x"])
    drop.start()
    assert scanner.scan() == [b"%PDF-1.4 x"]
    drop.join()
    assert list((tmp_path / "inbox").glob("*.pdf")) == []  # taken, never taken twice
    folder.timeout = 0.3
    with pytest.raises(ScannerError, match="扫描文件夹里没有新文件"):
        scanner.scan()


def test_scan_folder_takes_at_most_the_pages_asked(tmp_path: Path) -> None:
    folder = ScanFolder(tmp_path / "inbox", settle=0.0, timeout=2)
    for n in range(3):
        (tmp_path / "inbox" / f"page{n}.jpg").write_bytes(b"\xff\xd8 page %d" % n)
    folder.ready()  # first sight of each file
    assert folder.scan(pages=2) == [b"\xff\xd8 page 0", b"\xff\xd8 page 1"]
    assert folder.scan() == [b"\xff\xd8 page 2"]


def test_serial_evaluator_is_an_evaluator() -> None:
    sim = EvaluatorSimulator()
    evaluator: Evaluator = SerialEvaluator(sim.url)
    try:
        assert isinstance(evaluator, Evaluator)

        def citizen() -> None:
            if sim.asked():
                sim.press(1)

        threading.Thread(target=citizen, daemon=True).start()
        assert evaluator.ask(lambda: False) == "very_satisfied"
        deadline = time.monotonic() + 0.3
        assert evaluator.ask(lambda: time.monotonic() > deadline) is None  # nobody pressed
    finally:
        evaluator.close()
        sim.close()


def test_template_display_is_a_display() -> None:
    display: Display = TemplateDisplay(TemplateSettings(url="loop://", checksum="none"))
    assert isinstance(display, Display)
    display.show_call("A001", 3)
    display.show_idle("欢迎")
    display.show_paused()


def test_simulated_display_is_a_display() -> None:
    simulated = SimulatedDisplay()
    display: Display = simulated
    display.show_call("A001", 3)
    assert simulated.current == "A001 请到3号窗口"
    display.show_paused("午休")
    assert simulated.current == "暂停服务"


def test_announcer_is_a_voice(tmp_path: Path) -> None:
    voice: Voice = Announcer(VoiceSettings(output=str(tmp_path / "voice"), repeat=1))
    assert isinstance(voice, Voice)
    voice.announce("A001", 3)
    voice.close()
    assert len(list((tmp_path / "voice").glob("call-*.wav"))) == 1
