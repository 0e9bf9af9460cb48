"""`DeskPort`: everything a desk screen may ask of the window (architecture rules 2, 3, 11).

Screens are given the port when they are made (attributes down). A screen asks for a domain
step by naming a `Desk` method, `port.run(Desk.accept, entry, draft_id, done=self.decided)`:
the step runs with the app's `Desk` on a worker thread, and `done` gets its result back on the
UI thread; a failure becomes one Chinese line for the clerk (or goes to `failed`). So a screen
holds no `Desk`, no `Services` and no store, and cannot call one on the UI thread by mistake.
What a screen reads at once (the window, the session, the paper) are facts kept in memory;
what it wants of the app as a whole (log out, leave) it posts as a message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar, cast

from clerk.background import BackgroundApp
from clerk.desk.dialogs import EvaluationDialog
from clerk.messages import DeviceState
from clerk.window import Desk, Session
from offline.models import WINDOW_KIND_NAMES, Case, EvaluationLevel

if TYPE_CHECKING:
    from devices.printer.printer import PrintResult
    from devices.printer.render import Paper

T = TypeVar("T")


@dataclass(frozen=True)
class WindowFacts:
    """The window as the screens show it; read once, when the desk starts."""

    centre: str
    no: int
    kind: str  # the clerk's name for the window's kind: 综合

    @property
    def where(self) -> str:
        return f"{self.centre} {self.no}号窗口（{self.kind}）"


class DeskPort:
    def __init__(self, desk: Desk, app: BackgroundApp, demo: bool = False) -> None:
        self._desk, self._app, self.demo = desk, app, demo
        kind = WINDOW_KIND_NAMES.get(desk.window_kind, desk.window_kind)
        self.window = WindowFacts(desk.centre.name, desk.window_no, kind)

    @cached_property
    def paper(self) -> Paper:
        """The receipt paper, for the previews of what was printed (from the config)."""
        return self._desk.services.paper()

    @property
    def session(self) -> Session | None:
        """Who is at the window (kept in memory by the `Desk`; set by the login step)."""
        return self._desk.session

    def run(
        self,
        step: Callable[..., T],
        *args: Any,
        done: Callable[[T], object] | None = None,
        failed: Callable[[BaseException], object] | None = None,
        group: str = "desk",
        quiet: tuple[type[BaseException], ...] = (),
        latest: bool = False,
    ) -> None:
        """Run the `Desk` method `step` with `args` in a worker (`BackgroundApp.run_step`):
        `done(result)` on the UI thread, or `failed(error)` (by default the clerk is told in
        Chinese). A `quiet` error gives `done(None)`: a state, not an error (the hall service
        offline). With `latest`, an answer overtaken by a newer run of `group` is dropped."""
        self._app.run_step(
            step,
            self._desk,
            *args,
            done=done,
            failed=failed,
            group=group,
            quiet=quiet,
            latest=latest,
        )

    def tell(self, error: BaseException) -> None:
        self._app.tell(error)

    def printed(self, result: PrintResult, quiet: bool = False) -> None:
        """How printing went, to the status bar; a printer that cannot print is told too
        unless `quiet` (the paper's own dialog says it already)."""
        from devices.printer.states import READY, STATUS_TEXT

        ok = result.status in READY
        label = "正常" if ok and not result.waiting else f"待打印{result.waiting}份"
        if not ok:
            label = STATUS_TEXT[result.status].split("（")[0].split("，")[0]
            if not quiet:
                self._app.notify(result.message, severity="error", timeout=10)
        self._app.post_message(DeviceState("打印机", label, ok))

    def rate(
        self,
        cases: list[Case],
        done: Callable[[], None] | None = None,
        put_off: Callable[[], None] | None = None,
    ) -> None:
        """The citizen rates the case (a 一件事: once, for each of its cases) on the evaluator;
        the clerk can only record that they left without rating. Closed with Esc, nothing is
        recorded and `put_off` is told (the rating can be asked again). In `clerk demo` digits
        1-5 stand for the citizen's finger."""

        def press(n: int) -> None:
            self.run(Desk.demo_press, n, group="demo")

        def rated(level: str | None) -> None:
            if level is None:  # Esc: not rated, not "left without rating" either
                self._app.notify("未记录评价" + ("，可按 F3 再请群众评价" if put_off else ""))
                if put_off:  # the desk asks again with F3; a case page with its own button
                    put_off()
                return

            def recorded(_: object) -> None:
                self._app.notify("已记录评价" if level else "群众未评价")
                if done:
                    done()

            def record(desk: Desk) -> None:
                for case in cases:
                    desk.record_rating(case, cast(EvaluationLevel, level) or None)

            self.run(record, done=recorded)

        ask = self._desk.ask_rating  # the dialog calls it on its own worker thread
        numbers = "、".join(case.local_no for case in cases)
        dialog = EvaluationDialog(ask, numbers, press if self.demo else None)
        self._app.push_screen(dialog, rated)
