"""The hall follow job's one owner: a thread that follows the hall's event stream.

The desk's queue panel and the hall board both follow the hall (`follow`): after a break they
reconnect from the last event seen. They did so from raw daemon threads that died silently on
a bug. `HallFollower` is the one owner of that job, in the style of `clerk.owners.CardOwner`:
it reports typed events through `report` (the app posts them as Textual messages), a bug is
logged, reported as `OwnerRestarted` and the following starts again; nothing is silently gone.

No Textual here: the desk, the board and the tests use the same follower.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from clerk.hall.client import Hall, follow
from clerk.owners import OwnerRestarted

log = logging.getLogger("clerk.hall")
RESTART_PAUSE = 1.0  # seconds before following again after a bug: no hot loop


@dataclass(frozen=True)
class HallLink:
    """The hall came or went: its board on (re)connecting, None once it is away."""

    board: dict[str, Any] | None


@dataclass(frozen=True)
class HallEvent:
    """One event of the hall's stream (a ticket issued, called, finished ...)."""

    event: dict[str, Any]


HallNews = HallLink | HallEvent | OwnerRestarted


class HallFollower:
    """Follows the hall on its own thread until `stop()`. `open_hall` is called on that thread
    (an embedded hall opens its SQLite file there, not on the UI thread)."""

    name = "叫号服务"

    def __init__(
        self,
        open_hall: Callable[[], Hall],
        report: Callable[[HallNews], None],
        retry: float = 2.0,
    ) -> None:
        self.open_hall, self.report, self.retry = open_hall, report, retry
        self._stop = threading.Event()
        self._up: bool | None = None  # whether the hall was there at the last (re)connect
        self.restarts = 0
        # a daemon: a stream waiting for its next event never holds up quitting
        self.thread = threading.Thread(target=self._run, name="hall-follower", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        """Ask the follower to end; it does at its next event or heartbeat (not waited for)."""
        self._stop.set()

    @property
    def alive(self) -> bool:
        return self.thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                follow(self.open_hall(), self._stop, self._event, self._board, self.retry)
            except Exception as error:  # a bug below us: say so, then follow again
                log.exception("hall follower failed; restarting")
                self.restarts += 1
                self._up = None
                self.report(
                    OwnerRestarted(
                        self.name, f"叫号服务后台任务出错（{type(error).__name__}），已自动重启"
                    )
                )
                self._stop.wait(RESTART_PAUSE)

    def _event(self, event: dict[str, Any]) -> None:
        if not self._stop.is_set():
            self.report(HallEvent(event))

    def _board(self, board: dict[str, Any] | None) -> None:
        """Every (re)connect with the board as it is; the hall going away once, not per retry."""
        up = board is not None
        if self._stop.is_set() or (not up and self._up is False):
            return
        self._up = up
        self.report(HallLink(board))
