"""A progress line for long commands an admin waits on (catalog import, 补录, sync, backup).

On a terminal it is one line on stderr, rewritten in place (`\\r` and erase-to-end-of-line)
at most ten times a second and always at the end of each stage, and erased when the command
ends, so that the result line stands alone. Not on a terminal (cron, systemd, a pipe) or
with `--json` it prints nothing at all: logs and scripts see only the result.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

ERASE = "\r\x1b[K"  # back to the line's start, erase to its end
INTERVAL = 0.1  # seconds between redraws: a terminal needs no more


class Progress:
    """`progress(label, done, total, extra)` shows `label done/total extra` (or `label done`)."""

    def __init__(self, stream: TextIO | None = None, *, enabled: bool = True) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.shown = False
        self._last = float("-inf")

    def __call__(self, label: str, done: int, total: int | None = None, extra: str = "") -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < INTERVAL and done != total:
            return
        self._last = now
        count = f"{done}/{total}" if total is not None else f"{done}"
        self.stream.write(f"{ERASE}{label} {count}{extra}")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        """Erase the line, if one was drawn."""
        if self.shown:
            self.stream.write(ERASE)
            self.stream.flush()
            self.shown = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def progress(as_json: bool = False) -> Progress:
    """The progress line of this command: drawn only on a terminal, and never with `--json`."""
    return Progress(enabled=not as_json and sys.stderr.isatty())
