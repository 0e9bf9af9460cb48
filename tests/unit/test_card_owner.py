"""The card reader's owner thread against the pty simulator: reads asked for and polled,
requests folded while one waits, and a restart (told in Chinese) after an unexpected error."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from clerk.owners import CardFailed, CardFound, CardOwner, Event, NoCard, OwnerRestarted
from devices.base import CardReader
from devices.errors import DeviceUnavailable
from devices.idcard.card import IdCard
from devices.idcard.reader import ReaderSettings, SamReader
from devices.idcard.simulator import SamSimulator


@pytest.fixture
def sim() -> Iterator[SamSimulator]:
    simulator = SamSimulator()
    yield simulator
    simulator.close()


def next_event(events: queue.Queue[Event], kind: type, timeout: float = 10.0) -> Event:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        event = events.get(timeout=max(0.01, end - time.monotonic()))
        if isinstance(event, kind):
            return event
    raise AssertionError(f"no {kind.__name__}")


def owned(
    reader: Callable[[], CardReader], interval: float = 0.05
) -> tuple[CardOwner, queue.Queue[Event]]:
    events: queue.Queue[Event] = queue.Queue()
    owner = CardOwner(reader, events.put, interval=interval)
    owner.start()
    return owner, events


def test_a_placed_card_is_reported_once(sim: SamSimulator) -> None:
    reader = SamReader(ReaderSettings(url=sim.serve_pty(), timeout=0.5))
    owner, events = owned(lambda: reader)
    try:
        placed = sim.place(0)
        found = next_event(events, CardFound)
        assert isinstance(found, CardFound) and found.card.id_number == placed.id_number
        assert not found.asked
        time.sleep(0.5)  # ten more polls: the card is still there, but reported once
        assert not any(isinstance(e, CardFound) for e in _drain(events))
    finally:
        owner.stop()
        reader.close()
    assert not owner.alive


def test_f9_between_polls(sim: SamSimulator) -> None:
    reader = SamReader(ReaderSettings(url=sim.serve_pty(), timeout=0.5))
    owner, events = owned(lambda: reader, interval=60)  # no poll during the test
    try:
        placed = sim.place(0)
        owner.request_read()
        asked = next_event(events, CardFound)
        assert isinstance(asked, CardFound) and asked.asked and asked.card.name == placed.name
        sim.lift()
        owner.request_read()
        next_event(events, NoCard)
    finally:
        owner.stop()
        reader.close()


def _drain(events: queue.Queue[Event]) -> list[Event]:
    out = []
    while not events.empty():
        out.append(events.get())
    return out


def test_a_waiting_request_folds_the_next_ones() -> None:
    opening = threading.Event()

    def slow() -> SamReader:  # a reader still opening: the first request waits
        opening.wait(10)
        raise DeviceUnavailable("无法打开读卡器")

    owner = CardOwner(slow, lambda event: None, interval=60)
    try:
        assert owner.request_read() is True
        assert [owner.request_read() for _ in range(5)] == [False] * 5
    finally:
        opening.set()
        owner.stop()


def _fail() -> SamReader:
    raise DeviceUnavailable("无法打开读卡器")


def test_an_unexpected_error_restarts_the_owner_and_says_so(sim: SamSimulator) -> None:
    """As pyserial once did inside the poll thread: a TypeError. The owner reopens the reader
    and the next card is still read."""
    real = SamReader(ReaderSettings(url=sim.serve_pty(), timeout=0.5))
    broken = [True]

    class Flaky:
        def check(self) -> str:
            return real.check()

        def read_card(self) -> IdCard | None:
            if broken[0]:
                broken[0] = False
                raise TypeError("'NoneType' object cannot be interpreted as an integer")
            return real.read_card()

        def poll(self, stop, interval=0.5):
            return real.poll(stop, interval)

        def close(self) -> None:
            real.close()

    owner, events = owned(Flaky)
    try:
        restarted = next_event(events, OwnerRestarted)
        assert isinstance(restarted, OwnerRestarted) and "已自动重启" in restarted.message
        placed = sim.place(1)
        found = next_event(events, CardFound)
        assert isinstance(found, CardFound) and found.card.name == placed.name
        assert owner.alive and owner.restarts == 1
    finally:
        owner.stop()
        real.close()


def test_a_reader_that_cannot_open_answers_f9_in_chinese() -> None:
    owner, events = owned(_fail)
    try:
        owner.request_read()
        failed = next_event(events, CardFailed)
        assert (
            isinstance(failed, CardFailed) and failed.asked and failed.message == "无法打开读卡器"
        )
    finally:
        owner.stop()
