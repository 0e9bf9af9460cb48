"""The receipt printer the desk uses: documents in, a spool that never loses a job.

`print` renders the document, spools it and sends everything waiting when the printer says it
is ready; otherwise the job waits and `flush` (called again later, or on the next print) sends
it. The result always says how many jobs wait and why, in Chinese.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

from devices.errors import DeviceUnavailable
from devices.printer.document import Document
from devices.printer.render import Paper, to_escpos
from devices.printer.spool import Spool
from devices.printer.states import READY, STATUS_TEXT

log = logging.getLogger("devices.printer")


@dataclass(frozen=True)
class PrinterSettings:
    url: str
    paper: Paper = field(default_factory=Paper)
    timeout: float = 5.0


@dataclass(frozen=True)
class PrintResult:
    printed: int
    waiting: int
    status: str

    @property
    def message(self) -> str:
        if self.waiting == 0:
            return f"已打印 {self.printed} 份" if self.printed else STATUS_TEXT[self.status]
        return f"{STATUS_TEXT[self.status]}；待打印 {self.waiting} 份"


class ReceiptPrinter:
    def __init__(self, settings: PrinterSettings, spool_dir: Path) -> None:
        self.settings = settings
        self.spool = Spool(spool_dir)

    def print(self, doc: Document) -> PrintResult:
        self.spool.add(doc.name, to_escpos(doc, self.settings.paper))
        return self.flush()

    def print_now(self, doc: Document) -> PrintResult:
        """Print at once or not at all: a queue ticket is worthless once the citizen has gone,
        so it must not come out later in front of the next one."""
        job = self.spool.add(doc.name, to_escpos(doc, self.settings.paper))
        result = self.flush()
        if job.path.exists():
            self.spool.done(job)
        return result

    def flush(self) -> PrintResult:
        """Send the waiting jobs in order while the printer says it can print."""
        from devices.printer.transport import open_printer, status  # python-escpos: ~0.3 s

        jobs = self.spool.pending()
        if not self.settings.url:  # no printer configured: keep every job, print nothing
            return PrintResult(0, len(jobs), "not_configured")
        try:
            printer = open_printer(self.settings.url, self.settings.timeout)
        except DeviceUnavailable as error:
            log.warning("printer unreachable: %s", error)
            return PrintResult(0, len(jobs), "unreachable")
        printed, state = 0, "ok"
        try:
            for job in jobs:
                state = status(printer, self.settings.url)
                if state not in READY:
                    break
                printer._raw(job.data)
                self.spool.done(job)
                printed += 1
                log.info("printed %s", job.name)
            else:
                state = status(printer, self.settings.url) if not jobs else state
        except OSError as error:
            log.warning("printer connection lost: %s", error)
            state = "unreachable"
        finally:
            with contextlib.suppress(Exception):
                printer.close()
        return PrintResult(printed, len(jobs) - printed, state)

    def status(self) -> str:
        from devices.printer.transport import open_printer, status

        if not self.settings.url:
            return "not_configured"
        try:
            printer = open_printer(self.settings.url, self.settings.timeout)
        except DeviceUnavailable:
            return "unreachable"
        try:
            return status(printer, self.settings.url)
        finally:
            with contextlib.suppress(Exception):
                printer.close()
