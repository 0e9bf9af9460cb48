"""The hall follow job's one owner: a thread that follows the hall's event stream.

The desk's queue panel and the hall board both follow the hall (`follow`): after a break they
reconnect from the last event seen. They did so from raw daemon threads that died silently on
a bug. `HallFollower` is the one owner of that job, an `Owner` like `clerk.owners.CardOwner`:
it reports typed events through `report` (the app posts them as Textual messages), a bug is
logged, reported as `OwnerRestarted` and the following starts again; nothing is silently gone.

No Textual here: the desk, the board and the tests use the same follower.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from clerk.hall.client import Hall, follow
from clerk.owners import Owner, OwnerRestarted


@dataclass(frozen=True)
class HallLink:
    """The hall came or went: its board on (re)connecting, None once it is away."""

    board: dict[str, Any] | None


@dataclass(frozen=True)
class HallEvent:
    """One event of the hall's stream (a ticket issued, called, finished ...)."""

    event: dict[str, Any]


HallNews = HallLink | HallEvent | OwnerRestarted


class HallFollower(Owner):
    """Follows the hall on its own thread until `stop()`. `open_hall` is called on that thread
    (an embedded hall opens its SQLite file there, not on the UI thread)."""

    name = "叫号服务"

    def __init__(
        self,
        open_hall: Callable[[], Hall],
        report: Callable[[HallNews], None],
        retry: float = 2.0,
    ) -> None:
        # a daemon thread: a stream waiting for its next event never holds up quitting
        super().__init__(report, "hall-follower")
        self.open_hall, self.retry = open_hall, retry
        self._up: bool | None = None  # whether the hall was there at the last (re)connect

    def stop(self) -> None:
        """Ask the follower to end; it does at its next event or heartbeat (not waited for)."""
        self._stop.set()

    def _serve(self) -> None:
        follow(self.open_hall(), self._stop, self._event, self._board, self.retry)

    def _reset(self) -> None:
        self._up = None  # after a bug, the next connect is reported whatever came before

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
