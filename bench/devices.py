"""Device figures: an ID card read against the wire time of its bytes, a full 受理回执 in
ESC/POS, and scanning to PDF against the bare `scanimage` run of the same pages.

The card simulator answers at once (a pty has no baud rate; pacing it would make the
reference the thing measured), so the read's figure is the driver and the pty alone; the
reference is the time the same bytes need on the wire at the reader's speed. A reader on a
real line takes about figure + wire. Scans take turns with bare `scanimage` runs.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path

from bench.report import Row, alternate, check, median, show
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


def card_reads(blocks: int, rounds: int) -> list[float]:
    """Median ms of a card read per block, the simulator answering at once."""
    sim = SamSimulator(baud=0)
    path = sim.serve_pty()
    out = []
    with SamReader(ReaderSettings(path, baudrate=115200, timeout=5)) as reader:
        for _ in range(blocks):
            samples = []
            for _ in range(rounds):
                sim.lift()
                sim.place(0)
                start = time.perf_counter()
                card = reader.read_card()
                samples.append((time.perf_counter() - start) * 1000)
                check(card is not None and card.id_number, "the reader read no card")
            out.append(median(samples))
    sim.close()
    return out


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


def scan_figures(pages: int = 10, repeats: int = 3) -> tuple[list[float], list[float]]:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "dll.conf").write_text("test\n")
        settings = ScannerSettings("test:0", 200, "Gray", FEEDER, "jpeg", sane_config_dir=tmp)

        def ours() -> float:
            start = time.perf_counter()
            pdf = to_pdf(SaneScanner(settings).scan(pages))
            check(len(pdf) > 1000, "the scan gave no PDF")
            return (time.perf_counter() - start) / pages * 1000

        return alternate(ours, lambda: _bare_scan(tmp, pages), repeats)


def _bare_scan(tmp: str, pages: int) -> float:
    start = time.perf_counter()
    done = subprocess.run(
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
    took = (time.perf_counter() - start) / pages * 1000
    check(done.returncode == 0, f"scanimage failed: {done.stderr[-300:]!r}")
    return took


def main() -> None:
    reads = card_reads(blocks=5, rounds=20)
    rows = [
        Row(
            f"ID card read, simulator answering at once, against {baud} baud",
            "ms",
            reads,
            [READ_BYTES * 10 / baud * 1000],
            f"wire time of {READ_BYTES} bytes at {baud} baud (8N1)",
            "aim ≤ 0.3x (a read within 1.3x of its wire time)",
        )
        for baud in (115200, 9600)
    ]
    size, render = receipt_figures()
    rows.append(
        Row("受理回执 ESC/POS size (80 mm, native QR)", "B", [size], [4096.0], "4 KB", "aim < 1x")
    )
    rows.append(Row("受理回执 layout + ESC/POS render", "ms", [render * 1000]))
    ours, bare = scan_figures()
    rows.append(
        Row(
            "scan to PDF per page (200 dpi gray, feeder)",
            "ms",
            ours,
            bare,
            "bare scanimage, same pages",
        )
    )
    show("Devices (card reads: 5 blocks of 20, block medians)", rows)
