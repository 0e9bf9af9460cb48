"""Device figures: an ID card read against the wire time of its bytes, a full 受理回执 in
ESC/POS, and scanning to PDF against the bare `scanimage` run of the same pages."""

from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path

from bench.report import Row, median, show
from clerk import receipts
from clerk.demo import SAMPLES
from devices.idcard.frame import FIND, command
from devices.idcard.reader import ReaderSettings, SamReader
from devices.idcard.simulator import SamSimulator
from devices.printer.render import Paper, to_escpos
from devices.scanner.pdf import to_pdf
from devices.scanner.sane import FEEDER, SaneScanner, ScannerSettings
from offline.catalog import demo_catalog
from offline.store import Store

# Bytes of one read: three commands, and the find (15), select (19) and read (1295) replies.
READ_BYTES = 3 * len(command(*FIND)) + 15 + 19 + 1295


def card_reads(baud: int, rounds: int) -> list[float]:
    sim = SamSimulator(baud=baud)
    path = sim.serve_pty()
    samples = []
    with SamReader(ReaderSettings(path, baudrate=baud, timeout=5)) as reader:
        for _ in range(rounds):
            sim.lift()
            sim.place(0)
            start = time.perf_counter()
            assert reader.read_card() is not None
            samples.append(time.perf_counter() - start)
    sim.close()
    return samples


def receipt_figures(rounds: int = 200) -> tuple[int, float]:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "s.db", centre_code="330212105", window_no=3)
        store.import_catalog(demo_catalog(), by="bench")
        case = store.accept(SAMPLES[1][1], clerk_id="c0107")  # 容缺: the longest receipt
        store.close()
    centre = receipts.Centre("示范镇便民服务中心", "0574-88120000", 3)
    samples, data = [], b""
    for _ in range(rounds):
        start = time.perf_counter()
        data = to_escpos(receipts.acceptance(case, centre), Paper(columns=48))
        samples.append(time.perf_counter() - start)
    return len(data), median(samples)


def scan_figures(pages: int = 10) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "dll.conf").write_text("test\n")
        settings = ScannerSettings("test:0", 200, "Gray", FEEDER, "jpeg", sane_config_dir=tmp)
        start = time.perf_counter()
        to_pdf(SaneScanner(settings).scan(pages))
        ours = (time.perf_counter() - start) / pages
        start = time.perf_counter()
        subprocess.run(
            [
                "scanimage",
                "-d",
                "test:0",
                "--format",
                "jpeg",
                "--resolution",
                "200",
                "--mode",
                "Gray",
                "--source",
                FEEDER,
                f"--batch={tmp}/p%d.jpg",
                f"--batch-count={pages}",
            ],
            env={"SANE_CONFIG_DIR": tmp, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            check=False,
        )
        bare = (time.perf_counter() - start) / pages
    return ours, bare


def main() -> None:
    rows = []
    for baud, rounds in ((115200, 20), (9600, 5)):
        wire = READ_BYTES * 10 / baud * 1000
        rows.append(
            Row(
                f"ID card read over a pty at {baud} baud",
                median(card_reads(baud, rounds)) * 1000,
                "ms",
                wire,
                f"wire time of {READ_BYTES} bytes",
                "aim ≤ 1.3x",
            )
        )
    size, render = receipt_figures()
    rows.append(
        Row("受理回执 ESC/POS size (80 mm, native QR)", size, "B", 4096.0, "4 KB", "aim < 1x")
    )
    rows.append(Row("受理回执 layout + ESC/POS render", render * 1000, "ms"))
    ours, bare = scan_figures()
    rows.append(
        Row(
            "scan to PDF per page (200 dpi gray, feeder)",
            ours * 1000,
            "ms",
            bare * 1000,
            "bare scanimage, same pages",
        )
    )
    show("Devices", rows)
