"""What the application may expect of each device, whatever drives it.

Every device has a real driver and a simulator that go through the same protocol code; the
composition root (`clerk/services.py`) picks one. Errors are `devices.errors.DeviceError`
subclasses whose text is the clerk's message; "no card" and "printer waiting for paper" are
results, not errors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from devices.display import Display
from devices.errors import DeviceError
from devices.idcard.card import IdCard

if TYPE_CHECKING:  # annotations only: the printer driver loads when a printer is used
    from devices.printer.document import Document
    from devices.printer.printer import PrintResult


@runtime_checkable
class CardReader(Protocol):
    def check(self) -> str: ...
    def read_card(self) -> IdCard | None: ...
    def poll(
        self, stop: Callable[[], bool], interval: float = 0.5
    ) -> Iterator[IdCard | DeviceError]: ...
    def close(self) -> None: ...


@runtime_checkable
class Printer(Protocol):
    def print(self, doc: Document) -> PrintResult: ...
    def print_now(self, doc: Document) -> PrintResult: ...
    def flush(self) -> PrintResult: ...
    def status(self) -> str: ...


@runtime_checkable
class Scanner(Protocol):
    def scan(self, pages: int | None = None) -> list[bytes]: ...


@runtime_checkable
class Evaluator(Protocol):
    def check(self) -> str: ...
    def ask(self, stop: Callable[[], bool]) -> str | None: ...
    def close(self) -> None: ...


@runtime_checkable
class Voice(Protocol):
    def announce(self, ticket: str, window_no: int) -> object: ...
    def say(self, text: str) -> object: ...
    def close(self, timeout: float = 30.0) -> None: ...


__all__ = ["CardReader", "Display", "Evaluator", "Printer", "Scanner", "Voice"]
