"""App-wide events (architecture rule 3): what owners and workers post up to the app.

Device owners (`clerk/owners.py`) report plain typed events from their threads; the app posts
these Textual messages (`post_message` is thread-safe) and routes them to the screen that
wants them. Screens post `ReadCard` to ask the card owner for a read (F9).
"""

from __future__ import annotations

from typing import Any

from textual.message import Message

from devices.idcard.card import IdCard


class CardRead(Message):
    """A card was put on the reader, or a read the clerk asked for (F9) found one."""

    def __init__(self, card: IdCard, asked: bool = False) -> None:
        super().__init__()
        self.card, self.asked = card, asked


class CardNotRead(Message):
    """A read the clerk asked for found no card or failed; `text` is the clerk's message."""

    def __init__(self, text: str, warning: bool) -> None:
        super().__init__()
        self.text, self.warning = text, warning


class ReadCard(Message):
    """A screen asks the card owner for a read now (F9)."""


class DeviceState(Message):
    """A device's state for the status bar (读卡器 就绪 / 故障 / 未配置 ...)."""

    def __init__(self, device: str, state: str, ok: bool) -> None:
        super().__init__()
        self.device, self.state, self.ok = device, state, ok


class DeviceTrouble(Message):
    """A device failed at work nobody waits for (the window display did not show a call)."""

    def __init__(self, device: str, text: str) -> None:
        super().__init__()
        self.device, self.text = device, text


class WorkerRestarted(Message):
    """An owner or worker failed unexpectedly and was restarted; `text` tells the clerk."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class HallEventArrived(Message):
    """The hall follower saw an event on the hall's stream (a ticket issued, called ...)."""

    def __init__(self, event: dict[str, Any]) -> None:
        super().__init__()
        self.event = event


class HallLinkChanged(Message):
    """The hall came back (`board`: the board as it is) or went away (`board` None)."""

    def __init__(self, board: dict[str, Any] | None) -> None:
        super().__init__()
        self.board = board
