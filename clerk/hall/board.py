"""`clerk hall board`: the hall TV. The latest call large, each window's number, who waits
per kind as counts. Never a name or an ID number: the hall only ever sends numbers.

It follows the hall's event stream (`follow`), so a call shows the moment it is made, and
after a break it catches up from the last event it saw.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Digits, Static

from clerk.background import BackgroundApp
from clerk.hall.client import Hall, HallError
from clerk.messages import HallEventArrived, HallLinkChanged
from offline.clock import now
from offline.models import WINDOW_KIND_NAMES

CALLS = {"called", "recalled", "called_back"}


class BoardApp(BackgroundApp):
    TITLE = "叫号显示"
    CSS = """
    Screen { background: $background; }
    #top { height: 3; padding: 1 2; background: $primary; color: $text; text-style: bold; }
    #top #centre { width: 1fr; }
    #top #clock { width: auto; }
    #main { height: 1fr; }
    #now { width: 3fr; align: center middle; border: heavy $accent; }
    #now Static { width: 100%; content-align: center middle; text-style: bold; }
    #now Digits { width: 100%; text-align: center; color: $warning; margin: 1 0; }
    #now.fresh Digits { color: $success; }
    #windows { width: 2fr; border: heavy $secondary; padding: 0 2; }
    #windows Static { height: 2; }
    #recent { height: 3; padding: 1 2; border-top: solid $secondary; }
    #waiting { height: 3; padding: 1 2; background: $boost; }
    #link { height: auto; display: none; background: $error; color: $text; padding: 0 2; }
    #link.broken { display: block; }
    """

    def __init__(
        self, hall: Hall, centre: str, *, clock: Callable[[], datetime] = now, live: bool = True
    ) -> None:
        super().__init__()
        self.hall, self.centre, self.clock, self.live = hall, centre, clock, live

    def compose(self) -> ComposeResult:
        with Horizontal(id="top"):
            yield Static(f"{self.centre}  叫号显示", id="centre")
            yield Static("", id="clock")
        yield Static("与叫号服务的连接中断，正在重连……", id="link")
        with Horizontal(id="main"):
            with Vertical(id="now"):
                yield Static("", id="please")
                yield Digits("", id="number")
                yield Static("等待叫号", id="to")
            yield Vertical(id="windows")
        yield Static("", id="recent")
        yield Static("", id="waiting")

    def on_mount(self) -> None:
        self.tick()
        self.set_interval(1, self.tick)
        if self.live:
            self.follow_hall(lambda: self.hall)  # the hall follow job's one owner
            self.set_interval(5, self.refresh_board)  # pauses are not events

    def tick(self) -> None:
        self.query_one("#clock", Static).update(f"{self.clock():%Y年%m月%d日 %H:%M}")

    def on_hall_link_changed(self, message: HallLinkChanged) -> None:
        self.show_board(message.board)

    def on_hall_event_arrived(self, message: HallEventArrived) -> None:
        if message.event["event"] in CALLS:
            self.run_step(self.hall.board, done=self._called, group="board", latest=True)

    def _called(self, board: dict[str, Any]) -> None:
        self.show_board(board, fresh=True)

    def refresh_board(self) -> None:
        """The board as it is now (a worker); a failure is left to the follower, whose
        reconnecting shows the link as broken."""
        self.run_step(
            self.hall.board, done=self._refreshed, group="board", quiet=(HallError,), latest=True
        )

    def _refreshed(self, board: dict[str, Any] | None) -> None:
        if board is not None:
            self.show_board(board)

    def show_board(self, board: dict[str, Any] | None, fresh: bool = False) -> None:
        """Paint the board; None while the hall service is away (the last state stays)."""
        self.query_one("#link").set_class(board is None, "broken")
        if board is None:
            return
        calls = board.get("calls", [])
        latest = calls[0] if calls else None
        self.query_one("#number", Digits).update(latest["number"] if latest else "")
        self.query_one("#please", Static).update("请" if latest else "")
        self.query_one("#to", Static).update(
            f"到 {latest['window_no']} 号窗口办理" if latest else "等待叫号"
        )
        now_panel = self.query_one("#now")
        now_panel.set_class(fresh, "fresh")
        if fresh:
            self.set_timer(3, lambda: now_panel.remove_class("fresh"))
        self._windows(board.get("windows", {}))
        recent = "  ".join(f"{c['number']}→{c['window_no']}号窗口" for c in calls[1:7])
        self.query_one("#recent", Static).update(f"最近叫号  {recent}" if recent else "")
        waiting = board.get("waiting", {})
        counts = "   ".join(
            f"{WINDOW_KIND_NAMES.get(kind, kind)} {n}人" for kind, n in waiting.items() if n
        )
        self.query_one("#waiting", Static).update(f"等候  {counts or '暂无'}")

    def _windows(self, windows: dict[str, dict[str, Any]]) -> None:
        lines = [Static("窗口    当前号")]
        for no, state in windows.items():
            shown = "暂停服务" if state.get("paused") else (state.get("number") or "—")
            lines.append(Static(f"{int(no):>2}号    {shown}"))
        box = self.query_one("#windows", Vertical)
        box.remove_children()
        box.mount_all(lines)
