"""Owners: one thread per device or background job; everything else asks the owner.

A driver such as `SamReader` is not thread-safe (one serial port, one frame buffer). Reading it
from the card poller and from F9 at once failed reads and once killed the poller inside
pyserial. So the card reader has one owner thread: it polls, and it serves "read now" requests
(F9) between polls. Results go back as typed events through `report`, which the app turns into
Textual messages (`clerk/messages.py`). An owner that meets an unexpected error logs it,
reports `OwnerRestarted` (the clerk is told in Chinese), reopens its device and carries on:
it is never silently gone.

No Textual here: the owners are the same for the desk, the kiosk and the tests.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from clerk.services import NOT_CONFIGURED
from devices.base import CardReader
from devices.errors import DeviceError, DeviceNotConfigured
from devices.idcard.card import IdCard

log = logging.getLogger("clerk.owners")
RESTART_PAUSE = 1.0  # seconds before a failed owner reopens its device: no hot loop


@dataclass(frozen=True)
class CardFound:
    card: IdCard
    asked: bool  # True: the answer to a read request (F9); False: placed on the reader


@dataclass(frozen=True)
class NoCard:
    """A read request found the reader empty."""


@dataclass(frozen=True)
class CardFailed:
    message: str  # the clerk's words (a `DeviceError`'s text)
    asked: bool


@dataclass(frozen=True)
class ReaderState:
    state: str  # 就绪, 故障, 未配置 ...
    ok: bool


@dataclass(frozen=True)
class OwnerRestarted:
    device: str  # the clerk's name for it: 读卡器
    message: str


CardEvent = CardFound | NoCard | CardFailed | ReaderState | OwnerRestarted


class Owner:
    """One daemon thread that owns a device or a job until `stop()`. A bug in `_serve` is
    logged with its traceback, reported as `OwnerRestarted` (in Chinese, by the owner's name)
    and served again after a pause: an owner is never silently gone."""

    name = ""  # the person's name for it: 读卡器, 叫号服务

    def __init__(self, report: Callable[[Any], None], thread: str) -> None:
        self.report = report
        self._stop = threading.Event()
        self.restarts = 0
        self.thread = threading.Thread(target=self._run, name=thread, daemon=True)

    def start(self) -> None:
        self.thread.start()

    @property
    def alive(self) -> bool:
        return self.thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._serve()
            except Exception as error:  # a bug below us: say so, reset, carry on
                log.exception("%s failed; restarting", self.thread.name)
                self.restarts += 1
                self._reset()
                self.report(
                    OwnerRestarted(
                        self.name, f"{self.name}后台任务出错（{type(error).__name__}），已自动重启"
                    )
                )
                self._stop.wait(RESTART_PAUSE)
        self._reset()

    def _serve(self) -> None:
        """One round of the owner's work; called again until `stop()`."""
        raise NotImplementedError

    def _reset(self) -> None:
        """Drop what a failed round held (a device to reopen); also called at the end."""


class CardOwner(Owner):
    """The card reader's only user. `request_read()` asks for a read now (F9); while one is
    waiting, more requests are folded into it, so a key held down reads once."""

    name = "读卡器"

    def __init__(
        self,
        open_reader: Callable[[], CardReader],
        report: Callable[[CardEvent], None],
        interval: float = 0.5,
    ) -> None:
        super().__init__(report, "card-owner")
        self.open_reader, self.interval = open_reader, interval
        self._wake = threading.Event()
        self._asked = threading.Event()
        self._reader: CardReader | None = None
        self._on_reader: str | None = None  # the card already reported, until it is lifted
        self._failing = False
        self._state = ""

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self.thread.is_alive() and threading.current_thread() is not self.thread:
            self.thread.join(timeout)

    def request_read(self) -> bool:
        """Ask for a read now; False when one is already waiting (the answer covers both)."""
        if self._asked.is_set():
            return False
        self._asked.set()
        self._wake.set()
        return True

    # --- the owner thread ----------------------------------------------------------------------

    def _serve(self) -> None:
        if self._reader is None:
            try:
                self._reader = self.open_reader()
            except DeviceError as error:
                self._set_state(
                    NOT_CONFIGURED if isinstance(error, DeviceNotConfigured) else "故障"
                )
                self._answer_failure(str(error))
                self._wake.wait(self.interval * 4)
                self._wake.clear()
                return
            self._set_state("就绪")
        self._wake.wait(self.interval)
        self._wake.clear()
        if self._stop.is_set():
            return
        asked = self._asked.is_set()
        self._asked.clear()
        self._read(self._reader, asked)

    def _read(self, reader: CardReader, asked: bool) -> None:
        try:
            card = reader.read_card()
        except DeviceError as error:
            if asked:
                self.report(CardFailed(str(error), asked=True))
            elif not self._failing:  # each streak of errors once
                self.report(CardFailed(str(error), asked=False))
            self._set_state("故障")
            self._failing = True
            return
        self._failing = False
        self._set_state("就绪")
        if card is None:
            self._on_reader = None
            if asked:
                self.report(NoCard())
        elif asked or card.id_number != self._on_reader:
            self._on_reader = card.id_number
            self.report(CardFound(card, asked))

    def _set_state(self, state: str) -> None:
        """Report the reader's state when it changes (the status bar), not on every poll."""
        if state != self._state:
            self._state = state
            self.report(ReaderState(state, state == "就绪"))

    def _answer_failure(self, message: str) -> None:
        if self._asked.is_set():
            self._asked.clear()
            self.report(CardFailed(message, asked=True))

    def _reset(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            try:
                reader.close()
            except Exception:  # closing a broken port: nothing more to do
                log.warning("closing the card reader failed", exc_info=True)
