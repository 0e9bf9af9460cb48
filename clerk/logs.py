"""Rotating log files under the data directory: one line per event, nothing secret.

Every record passes through `scrub`, so an ID number or mobile number that slips into a
message or a traceback is masked; bearer tokens and PINs are cut out the same way.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
from pathlib import Path

from offline.privacy import scrub

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
_SECRET_FIELDS = re.compile(r"(?i)(bearer\s+|token[\"'=:\s]+|pin[\"'=:\s]+)[^\s\"',;]+")


def redact(text: str) -> str:
    """Mask identifiers and cut tokens and PINs out of a line of log text."""
    return _SECRET_FIELDS.sub(r"\1***", scrub(text))


class OneLineRedacting(logging.Formatter):
    """Formats a record, traceback included, as one redacted line."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return redact(text).replace("\r", "").replace("\n", " ⏎ ")


def _basic_config(handler: logging.Handler) -> bool:
    """The unredacted stderr handler that python-escpos installs with `logging.basicConfig()`
    when it is imported: it would print every log line, unmasked, on the clerk's terminal."""
    return (
        type(handler) is logging.StreamHandler
        and handler.stream is sys.stderr
        and handler.formatter is not None
        and handler.formatter._fmt == logging.BASIC_FORMAT
    )


class FileOnFirstRecord(logging.Handler):
    """The rotating log file, built at the first record. Most `clerk` runs log nothing, and
    `logging.handlers` (sockets, pickle, queues) costs a third of click's own start-up to
    import, so `clerk sync status` does not pay for it."""

    def __init__(self, path: Path, max_bytes: int, backups: int) -> None:
        super().__init__()
        self.path, self.max_bytes, self.backups = path, max_bytes, backups
        self.file: logging.Handler | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self.file is None:
            self.file = _owner_only_rotating(self.path, self.max_bytes, self.backups)
            self.file.setFormatter(OneLineRedacting(FORMAT))
        self.file.handle(record)

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
        super().close()


def _owner_only_rotating(path: Path, max_bytes: int, backups: int) -> logging.Handler:
    """A rotating file handler whose every new file (a rotated log too) is created 0600,
    opened at the first line: the file may not be writable."""
    import logging.handlers

    class OwnerOnlyRotatingHandler(logging.handlers.RotatingFileHandler):
        def _open(self):
            fd = os.open(self.baseFilename, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600)
            os.close(fd)
            return super()._open()

    return OwnerOnlyRotatingHandler(
        path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8", delay=True
    )


def log_path(home: Path) -> Path:
    return home / "logs" / "clerk.log"


def setup(home: Path, level: str = "INFO", max_bytes: int = 1_000_000, backups: int = 10) -> Path:
    """Send the root logger to `home/logs/clerk.log` (0600, rotated); returns the path."""
    from clerk.configfile import ensure_home

    path = log_path(home)
    ensure_home(path.parent)  # the data directory too: 0700 before anything is written
    logging.raiseExceptions = False  # a full disk must not print a logging traceback
    if not path.exists():
        with contextlib.suppress(OSError):  # a read-only mount: read-only commands still run
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "clerk_home", None) or _basic_config(handler):
            root.removeHandler(handler)
            handler.close()
    handler = FileOnFirstRecord(path, max_bytes, backups)
    handler.clerk_home = str(home)  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    return path
