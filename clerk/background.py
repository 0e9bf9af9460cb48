"""The one way the desk, the kiosk and the board run background work (architecture rule 11).

- A blocking step (the store, the hall, the printer) runs in a Textual thread worker through
  `run_step`; its result comes back to `done` on the UI thread, a failure to `tell`. With
  `latest=True` only the newest run of a group reports: an older answer that comes late (a
  search typed further, a board fetched twice) is dropped, never painted over a newer one.
- A long-running job has one owner thread (`clerk.owners`, `clerk.hall.follower`) that reports
  typed events; `post_report` turns them into the messages of `clerk.messages`.

So no app touches SQLite, a file or the network on the UI thread, and each has the same
error path: a user error's Chinese line, or 系统内部错误 for a bug (logged once).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.message import Message

from clerk.errors import explain
from clerk.messages import HallEventArrived, HallLinkChanged, WorkerRestarted
from clerk.owners import OwnerRestarted
from widgets import textual_words

textual_words.install()  # Textual's own key words (an open list's `esc`) in Chinese

if TYPE_CHECKING:  # the hall client (httpx, SSE) loads when the follower starts, after the
    # desk's login screen shows
    from clerk.hall.client import Hall
    from clerk.hall.follower import HallFollower, HallNews


class BackgroundApp(App[None]):
    """An app whose blocking work runs in workers and owner threads, never on the UI thread."""

    def __init__(self) -> None:
        super().__init__()
        self._runs: dict[str, int] = {}  # the newest run of each group (for `latest`)
        self.hall_follower: HallFollower | None = None

    def run_step(
        self,
        fn: Callable[..., Any],
        *args: Any,
        done: Callable[[Any], object] | None = None,
        group: str = "step",
        quiet: tuple[type[BaseException], ...] = (),
        latest: bool = False,
        failed: Callable[[BaseException], object] | None = None,
    ) -> None:
        """Run `fn(*args)` in a worker thread; `done(result)` on the UI thread, or `failed`
        (else `tell`) with the error. A `quiet` error calls `done(None)` instead (a state, not
        an error: the hall service offline). With `latest`, a run that a newer run of the
        same group has overtaken reports nothing."""
        run = self._runs[group] = self._runs.get(group, 0) + 1

        def deliver(callback: Callable[[Any], object], value: Any) -> object:
            if latest and self._runs[group] != run:
                return None
            return callback(value)  # an async callback is awaited by `call_from_thread`

        def job() -> None:
            try:
                result = fn(*args)
            except quiet:
                result = None
            except Exception as error:  # every failure reaches a person as words
                self._from_thread(deliver, failed or self.tell, error)
                return
            if done:
                self._from_thread(deliver, done, result)

        self.run_worker(job, thread=True, group=group, exit_on_error=False)

    def tell(self, error: BaseException) -> None:
        """A step failed: the clerk's notification (the kiosk says it on its own line). The
        same words while they are still on screen are not stacked again (a periodic step
        failing every few seconds is told once)."""
        text = explain(error)
        if not any(shown.message == text for shown in self._notifications):
            self.notify(text, severity="error", timeout=8)

    def _from_thread(self, callback: Callable[..., Any], *args: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the app closed while the step ran
            self.call_from_thread(callback, *args)

    # --- the hall follow job -------------------------------------------------------------------

    def follow_hall(self, open_hall: Callable[[], Hall]) -> None:
        """Start the hall follow job's one owner; its news arrives as `HallEventArrived`,
        `HallLinkChanged` and `WorkerRestarted` messages."""
        from clerk.hall.follower import HallFollower

        self.hall_follower = HallFollower(open_hall, self._hall_news)
        self.hall_follower.start()

    def _hall_news(self, news: HallNews) -> None:
        """The follower's report (its thread): posted up as a message."""
        from clerk.hall.follower import HallEvent, HallLink

        if isinstance(news, HallEvent):
            self.post_report(HallEventArrived(news.event))
        elif isinstance(news, HallLink):
            self.post_report(HallLinkChanged(news.board))
        elif isinstance(news, OwnerRestarted):
            self.post_report(WorkerRestarted(news.message))

    def on_worker_restarted(self, message: WorkerRestarted) -> None:
        self.notify(message.text, severity="error", timeout=15)

    def post_report(self, message: Message) -> None:
        """Post from an owner's thread; an app that is closing takes no more."""
        with contextlib.suppress(RuntimeError):  # the event loop closed under us
            self.post_message(message)

    def on_unmount(self) -> None:
        if self.hall_follower is not None:
            self.hall_follower.stop()
