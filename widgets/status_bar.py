"""The desk's bottom line: each device's state, the sync state and the clerk on duty."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

GOOD, BAD = "green", "red"


class StatusBar(Static):
    DEFAULT_CSS = "StatusBar { height: 1; background: $panel; padding: 0 1; }"

    devices: reactive[dict[str, tuple[str, bool]]] = reactive(dict, always_update=True)
    sync: reactive[tuple[str, bool]] = reactive(("同步：未登记", True))
    clerk: reactive[str] = reactive("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.devices = {}

    def set_device(self, name: str, state: str, ok: bool) -> None:
        self.devices = {**self.devices, name: (state, ok)}

    def render(self) -> Text:
        parts = [(f"{n}:{s}", GOOD if ok else BAD) for n, (s, ok) in self.devices.items()]
        parts.append((self.sync[0], GOOD if self.sync[1] else BAD))
        if self.clerk:
            parts.append((self.clerk, "bold"))
        text = Text()
        for n, (label, style) in enumerate(parts):
            if n:
                text.append("  ")
            text.append(label, style=style)
        return text
