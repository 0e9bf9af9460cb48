"""Scan to folder: multifunction printers and vendor tools that drop files in a directory.

A file is taken once it has stopped growing (same size and mtime over `settle` seconds), so a
scanner still writing over SMB is never read half-done. Taken files move to `taken/`, so a
crash never takes a file twice.
"""

from __future__ import annotations

import time
from pathlib import Path

from devices.errors import ScannerError

SUFFIXES = {".pdf", ".jpg", ".jpeg", ".png", ".tif", ".tiff"}


class ScanFolder:
    """A `devices.base.Scanner`: `scan()` waits for the files the scanner drops here."""

    def __init__(self, directory: Path, settle: float = 2.0, timeout: float = 60.0) -> None:
        self.directory = directory
        self.settle = settle
        self.timeout = timeout
        self._seen: dict[Path, tuple[int, float, float]] = {}
        (directory / "taken").mkdir(parents=True, exist_ok=True)

    def ready(self) -> list[Path]:
        """Files that have not changed for `settle` seconds, oldest first."""
        now, out = time.monotonic(), []
        for path in sorted(self.directory.iterdir(), key=lambda p: p.name):
            if not path.is_file() or path.suffix.lower() not in SUFFIXES:
                continue  # temporary names (.part, .tmp) and dotfiles are not scans yet
            if path.name.startswith((".", "~$")):
                continue
            stat = path.stat()
            size, mtime, since = self._seen.get(path, (-1, -1.0, now))
            if (stat.st_size, stat.st_mtime) != (size, mtime):
                self._seen[path] = (stat.st_size, stat.st_mtime, now)
            elif now - since >= self.settle and stat.st_size > 0:
                out.append(path)
        return out

    def take(self, path: Path) -> bytes:
        """Read a ready file and move it out of the way."""
        data = path.read_bytes()
        path.rename(self.directory / "taken" / f"{time.time_ns()}-{path.name}")
        self._seen.pop(path, None)
        return data

    def wait(self, timeout: float, poll: float = 0.5, pages: int | None = None) -> list[bytes]:
        """Wait for files and take every ready one (at most `pages`), oldest first; none within
        `timeout` gives an empty list."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready = self.ready()
            if ready:
                return [self.take(p) for p in ready[:pages]]
            time.sleep(poll)
        return []

    def scan(self, pages: int | None = None) -> list[bytes]:
        """The pages the scanner has dropped (waiting up to `timeout` for the first), as the
        `Scanner` protocol asks; none in time is the clerk's to fix, so a `ScannerError`."""
        found = self.wait(self.timeout, pages=pages)
        if not found:
            raise ScannerError(
                f"{self.timeout:.0f}秒内扫描文件夹里没有新文件，请先在扫描仪上扫描后再按扫描"
            )
        return found
