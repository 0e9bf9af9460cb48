"""The hall's one voice, shared by the hall service and a window's embedded queue (kept apart
from the web service, so that the desk never loads the web stack)."""

from __future__ import annotations

import threading
import time

from devices.base import Voice
from offline.models import Ticket


class Calls:
    """The hall's one voice: every call is announced once; a re-call of the same ticket
    within `gap` seconds is not, so a clerk pressing 重呼 repeatedly cannot flood the hall."""

    def __init__(self, announcer: Voice | None, gap: float = 30.0) -> None:
        self.announcer, self.gap = announcer, gap
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def announce(self, ticket: Ticket, window_no: int, *, again: bool = False) -> bool:
        if self.announcer is None:
            return False
        with self._lock:
            last = self._last.get(ticket.number)
            if again and last is not None and time.monotonic() - last < self.gap:
                return False
            self._last[ticket.number] = time.monotonic()
        self.announcer.announce(ticket.number, window_no)
        return True
