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
        full = self._line(compact=False)
        return full if full.cell_len <= self.content_size.width else self._line(compact=True)

    def _line(self, compact: bool) -> Text:
        """Each device `名称:状态`; `compact` (80 columns, where that ran past the edge and cut
        off the sync state and the clerk) names a device that is well by its colour alone,
        in at most three characters, and spells out only a state that is not."""
        parts = [
            (self._device(name, state, ok, compact), GOOD if ok else BAD)
            for name, (state, ok) in self.devices.items()
        ]
        parts.append((self.sync[0], GOOD if self.sync[1] else BAD))
        if self.clerk:
            parts.append((self.clerk, "bold"))
        text = Text()
        for n, (label, style) in enumerate(parts):
            if n:
                text.append(" " if compact else "  ")
            text.append(label, style=style)
        return text

    @staticmethod
    def _device(name: str, state: str, ok: bool, compact: bool) -> str:
        if not compact:
            return f"{name}:{state}"
        return name[-3:] if ok else f"{name[-3:]}:{state}"
