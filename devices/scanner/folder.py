"""Scan to folder: multifunction printers and vendor tools that drop files in a directory.

A file is taken once it has stopped growing (same size and mtime over `settle` seconds), so a
scanner still writing over SMB is never read half-done. Taken files move to `taken/`, so a
crash never takes a file twice.
"""

from __future__ import annotations

import time
from pathlib import Path

SUFFIXES = {".pdf", ".jpg", ".jpeg", ".png", ".tif", ".tiff"}


class ScanFolder:
    def __init__(self, directory: Path, settle: float = 2.0) -> None:
        self.directory = directory
        self.settle = settle
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

    def wait(self, timeout: float, poll: float = 0.5) -> list[bytes]:
        """Wait for files and take every ready one (for `clerk device scan` from a folder)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready = self.ready()
            if ready:
                return [self.take(p) for p in ready]
            time.sleep(poll)
        return []
