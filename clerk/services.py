"""The composition root: reads the settings and builds what the app and the CLI use.

Nothing else decides which store file, which devices or which platform to use. A device is
simulated only when its address says `sim:` (`clerk demo` writes that): the simulator speaks
the real protocol and the real driver talks to it, so the same code runs with and without
hardware. An empty address is 未配置: work that needs the device says so in Chinese, and
nothing is printed into a folder by accident. Devices are built on first use, so commands
that need none start none, and their modules are imported on first use too: `clerk sync
status` or the desk's login screen load no driver, hall or sync code.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from clerk import config, logs
from offline.blobs import BlobStore
from offline.store import Store

if TYPE_CHECKING:
    from clerk.hall.client import Hall
    from devices import display
    from devices.base import CardReader, Evaluator, Printer, Scanner, Voice
    from devices.evaluator import EvaluatorSimulator, SerialEvaluator
    from devices.idcard.reader import ReaderSettings, SamReader
    from devices.idcard.simulator import SamSimulator
    from devices.printer.document import Document
    from devices.printer.printer import PrintResult, ReceiptPrinter
    from devices.printer.render import Paper
    from devices.printer.simulator import PrinterSimulator
    from devices.voice import VoiceSettings
    from offline.sync import SyncEngine

HALL_DB = "hall.db"
NOT_CONFIGURED = "未配置"


class NoDisplay:
    """No window display is fitted: calls go on without one (the hall voice still calls)."""

    configured = False

    def show_call(self, ticket: str, window_no: int) -> None:
        pass

    def show_idle(self, text: str) -> None:
        pass

    def show_paused(self, reason: str = "") -> None:
        pass


@dataclass
class Services:
    home: Path
    settings: config.Settings
    store: Store
    idcard_simulator: SamSimulator | None = None
    printer_simulator: PrinterSimulator | None = None
    evaluator_simulator: EvaluatorSimulator | None = None
    _reader: SamReader | None = None
    _printer: ReceiptPrinter | None = None
    _display: display.Display | None = None
    _hall: Hall | None = None
    _evaluator: SerialEvaluator | None = None
    migration_backup: Path | None = None  # the automatic backup taken before migrating
    _closers: list[Callable[[], None]] = field(default_factory=list)
    _first: list[Callable[[], None]] = field(default_factory=list)

    def on_close(self, stop: Callable[[], None]) -> None:
        """Run `stop` first on `close`, before any device closes (the device owners)."""
        self._first.append(stop)

    def reader(self) -> CardReader:
        from devices.idcard.reader import SamReader
        from devices.idcard.simulator import SamSimulator

        if self._reader is None:
            url = self.settings.idcard.url
            if not url:
                from devices.errors import DeviceNotConfigured

                raise DeviceNotConfigured("读卡器", "[idcard] url")
            if config.simulated(url):
                self.idcard_simulator = SamSimulator()
                url = self.idcard_simulator.serve_pty()
                self._closers.append(self.idcard_simulator.close)
            self._reader = SamReader(reader_settings(self.settings.idcard, url))
            self._closers.append(self._reader.close)
        return self._reader

    def paper(self, mm: int | None = None) -> Paper:
        """The configured paper, or paper `mm` wide instead."""
        from devices.printer.document import PAPER_COLUMNS
        from devices.printer.render import Paper

        cfg = self.settings.printer
        return Paper(
            columns=PAPER_COLUMNS[mm or cfg.paper_mm],
            codec=cfg.encoding,
            qr_native=cfg.qr == "native",
            chinese_mode=cfg.chinese_mode,
            glyph_font=cfg.glyph_font or None,
        )

    def printer(self) -> Printer:
        from devices.printer.printer import PrinterSettings, ReceiptPrinter
        from devices.printer.simulator import PrinterSimulator

        if self._printer is None:
            url = self.settings.printer.url  # empty: jobs wait in the spool as 未配置
            if config.simulated(url):
                self.printer_simulator = PrinterSimulator(self.home / "printer-simulator")
                host, port = self.printer_simulator.serve()
                url = f"tcp://{host}:{port}"
                self._closers.append(self.printer_simulator.close)
            self._printer = ReceiptPrinter(PrinterSettings(url, self.paper()), self.home / "spool")
        return self._printer

    def print_once(
        self, doc: Document, url: str | None = None, paper: Paper | None = None
    ) -> PrintResult:
        """Print `doc` now or not at all, on `url` or the configured printer (its simulator
        included), nothing left in the spool: a test page, a reprint the admin watches."""
        import tempfile

        from devices.printer.printer import PrinterSettings, ReceiptPrinter

        printer = self.printer()
        assert isinstance(printer, ReceiptPrinter)  # the composition root builds no other
        target = PrinterSettings(url or printer.settings.url, paper or self.paper())
        with tempfile.TemporaryDirectory() as spool:
            return ReceiptPrinter(target, Path(spool)).print_now(doc)

    def display(self) -> display.Display:
        from devices import display

        if self._display is None:
            cfg = self.settings.display
            if not cfg.url:
                self._display = NoDisplay()
                return self._display
            self._display = (
                display.SimulatedDisplay()
                if config.simulated(cfg.url)
                else display.TemplateDisplay(
                    display.TemplateSettings(
                        cfg.url,
                        cfg.template,
                        cfg.encoding,
                        cfg.checksum,
                        cfg.checksum_from,
                        cfg.address,
                        cfg.baudrate,
                    )
                )
            )
        return self._display

    def announcer(self) -> Voice:
        from devices import voice

        announcer = voice.Announcer(voice_settings(self.settings.voice))
        self._closers.append(announcer.close)
        return announcer

    def scanner(self) -> Scanner:
        """The configured scanner; `sim:` is SANE's own test backend."""
        from devices.scanner.folder import ScanFolder
        from devices.scanner.sane import SaneScanner, ScannerSettings

        cfg = self.settings.scanner
        if cfg.folder:
            return ScanFolder(Path(cfg.folder))
        device, sane_dir = cfg.device, ""
        if not device:
            from devices.errors import DeviceNotConfigured

            raise DeviceNotConfigured("扫描仪", "[scanner] device 或 folder")
        if config.simulated(device):
            sane_dir = str(self.home / "sane-test")
            Path(sane_dir).mkdir(parents=True, exist_ok=True)
            (Path(sane_dir) / "dll.conf").write_text("test\n")
            device = "test:0"
        return SaneScanner(
            ScannerSettings(
                device,
                cfg.resolution,
                cfg.mode,
                cfg.source,
                cfg.image_format,
                sane_config_dir=sane_dir,
            )
        )

    def sync_engine(self, url: str | None = None) -> SyncEngine:
        """The sync engine for the enrolled platform (or `url` instead of its address)."""
        from offline.sync import Platform, SyncEngine, SyncError

        cfg = self.settings.platform
        token_file = self.home / config.TOKEN_FILE
        if not (url or cfg.url) or not cfg.device_id or not token_file.exists():
            raise SyncError("本机尚未登记到平台，请先运行 clerk enrol")
        token = token_file.read_text().strip()
        platform = Platform(url or cfg.url, cfg.device_id, token, cfg.ca_file)
        engine = SyncEngine(self.store, self.blobs(), platform)
        self._closers.append(engine.close)
        return engine

    def evaluator(self) -> Evaluator:
        from devices.evaluator import EvaluatorSimulator, SerialEvaluator

        if self._evaluator is None:
            cfg = self.settings.evaluator
            url = cfg.url
            if not url:
                from devices.errors import DeviceNotConfigured

                raise DeviceNotConfigured("评价器", "[evaluator] url")
            if config.simulated(url):
                self.evaluator_simulator = EvaluatorSimulator()
                self._closers.append(self.evaluator_simulator.close)
                url = self.evaluator_simulator.url
            self._evaluator = SerialEvaluator(url, cfg.baudrate)
            self._closers.append(self._evaluator.close)
        return self._evaluator

    def hall(self) -> Hall:
        """The hall service of `[hall] url`, or without one the queue embedded in this window
        (a one-window hall), announcing through this machine's voice."""
        from clerk.hall.calls import Calls
        from clerk.hall.client import EmbeddedHall, RemoteHall
        from offline.queue import QueueStore

        if self._hall is None:
            cfg = self.settings.hall
            if cfg.url:
                remote = RemoteHall(cfg.url, cfg.key, ca_file=cfg.ca_file)
                self._closers.append(remote.client.close)
                self._hall = remote
            else:
                queue = QueueStore(self.home / HALL_DB)
                self._closers.append(queue.close)
                self._hall = EmbeddedHall(queue, Calls(self.announcer()))
        return self._hall

    def blobs(self) -> BlobStore:
        return BlobStore(self.home / "blobs")

    def close(self) -> None:
        for closer in [*self._first, *reversed(self._closers)]:
            with contextlib.suppress(Exception):
                closer()
        self.store.close()


def reader_settings(cfg: config.IdCardSection, url: str | None = None) -> ReaderSettings:
    """The card reader driver's settings from `[idcard]` (`url`: the port actually opened)."""
    from devices.idcard.reader import ReaderSettings

    return ReaderSettings(cfg.url if url is None else url, cfg.baudrate, cfg.timeout)


def voice_settings(cfg: config.VoiceSection) -> VoiceSettings:
    """The announcer's settings from `[voice]`."""
    from devices.voice import VoiceSettings

    return VoiceSettings(
        engine=cfg.engine,
        voice=cfg.voice,
        template=cfg.template,
        repeat=cfg.repeat,
        output=cfg.output,
        clips_dir=cfg.clips_dir,
    )


def build(home: Path, settings: config.Settings | None = None) -> Services:
    settings = settings or config.load(home)
    logs.setup(home, settings.log.level, settings.log.max_bytes, settings.log.backups)
    saved = _backup_before_migrating(home)
    store = Store(
        home / config.DB_FILE, centre_code=settings.centre.code, window_no=settings.window.no
    )
    return Services(home=home, settings=settings, store=store, migration_backup=saved)


def _backup_before_migrating(home: Path) -> Path | None:
    """An upgrade never migrates a database without a backup first, and says so in the log."""
    import logging

    from offline.db import pending_migrations

    pending = pending_migrations(home / config.DB_FILE)
    if not pending:
        return None
    from clerk import backup

    saved = backup.create(home, home / "backups", reason="before-migration")
    logging.getLogger("clerk.services").warning(
        "database needs migrations %s; backed up first to %s", ", ".join(pending), saved
    )
    return saved
