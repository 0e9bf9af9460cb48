"""The window's queue: its current number, parked numbers and how many wait per kind.

Numbers and counts only: never who is waiting.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, Static

from offline.models import WINDOW_KIND_NAMES, Ticket

STATE_NAMES = {
    "called": "已呼叫",
    "serving": "办理中",
    "parked": "已挂起",
    "no_show": "过号",
    "finished": "已办结",
}


class QueuePanel(Vertical):
    DEFAULT_CSS = """
    QueuePanel { width: 20; height: 100%; border: round $primary; padding: 0 1; }
    QueuePanel #q-number { text-style: bold; color: $accent; height: 3; width: 100%;
        content-align: center middle; }
    QueuePanel #q-state, QueuePanel #q-paused { width: 100%; content-align: center middle; }
    QueuePanel #q-paused { color: $error; text-style: bold; }
    QueuePanel #q-waiting, QueuePanel #q-parked { margin-top: 1; }
    """

    def compose(self) -> ComposeResult:
        yield Label("当前号", id="q-title")
        yield Static("—", id="q-number")
        yield Static("", id="q-state")
        yield Static("", id="q-paused")
        yield Static("", id="q-waiting")
        yield Static("", id="q-parked")

    def show(
        self,
        current: Ticket | None,
        waiting: dict[str, int],
        parked: list[str],
        paused: str | None,
        offline: bool = False,
    ) -> None:
        self.query_one("#q-number", Static).update(current.number if current else "—")
        state = STATE_NAMES.get(current.state, "") if current else "空闲"
        if current and current.green_channel:
            state += " 绿色通道"
        self.query_one("#q-state", Static).update(state)
        notice = "叫号服务离线" if offline else (f"暂停服务\n{paused}" if paused else "")
        self.query_one("#q-paused", Static).update(notice)
        lines = [f"{WINDOW_KIND_NAMES.get(k, k)} {n}人" for k, n in sorted(waiting.items())]
        total = sum(waiting.values())
        self.query_one("#q-waiting", Static).update(
            "等候 " + str(total) + " 人\n" + "\n".join(lines)
        )
        self.query_one("#q-parked", Static).update(("挂起：" + " ".join(parked)) if parked else "")
