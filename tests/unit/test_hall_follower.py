"""The hall follow job's one owner, against `clerk hall serve`'s app on loopback: it reports
each event, the hall going away once (not per retry) and coming back with its board, and a
bug below it is logged, reported and followed again, never a silently dead thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from clerk.hall.client import RemoteHall
from clerk.hall.follower import HallEvent, HallFollower, HallLink, HallNews
from clerk.hall.server import serve_in_thread
from clerk.owners import OwnerRestarted
from offline.queue import QueueStore


def wait_for(check: Callable[[], Any], timeout: float = 20.0) -> Any:
    end = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)
    return found


class News:
    """What the follower reported, in order (its thread appends, the test reads)."""

    def __init__(self) -> None:
        self.items: list[HallNews] = []
        self.lock = threading.Lock()

    def __call__(self, news: HallNews) -> None:
        with self.lock:
            self.items.append(news)

    def of(self, kind: type) -> list[Any]:
        with self.lock:
            return [n for n in self.items if isinstance(n, kind)]


@pytest.fixture
def store(tmp_path) -> Iterator[QueueStore]:
    queue = QueueStore(tmp_path / "hall.db")
    yield queue
    queue.close()


class Followed:
    """`clerk hall serve`'s app on loopback and a follower of it through `hall_type`."""

    def __init__(self, store: QueueStore, hall_type: type[RemoteHall] = RemoteHall) -> None:
        self.store = store
        self.server, url = serve_in_thread(store)
        self.port = int(url.rsplit(":", 1)[1])
        self.remote = hall_type(url, store.hall_key(), timeout=1)
        self.news = News()
        self.follower = HallFollower(lambda: self.remote, self.news, retry=0.2)

    def __enter__(self) -> Followed:
        self.follower.start()
        return self

    def stop_service(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def restart_service(self) -> None:
        self.server, _ = serve_in_thread(self.store, port=self.port)

    def __exit__(self, *exc: object) -> None:
        self.follower.stop()
        self.stop_service()
        self.remote.close()

    def sees(self, number: str) -> None:
        wait_for(lambda: any(e.event["number"] == number for e in self.news.of(HallEvent)))


def test_follower_reports_events_and_a_lost_hall_once(store: QueueStore) -> None:
    with Followed(store) as hall:
        news = hall.news
        [up] = wait_for(lambda: news.of(HallLink))
        assert up.board is not None
        hall.sees(store.issue("general").number)

        hall.stop_service()
        wait_for(lambda: news.of(HallLink)[-1].board is None)
        time.sleep(1.0)  # several retries of 0.2 s while the hall is away
        gone = [link.board is None for link in news.of(HallLink)]
        # away once, not per retry (the stream ends cleanly on shutdown, so one reconnect may
        # still find the board before the service stops listening: a second "up" is fair)
        assert gone[0] is False and gone.count(True) == 1 and gone[-1] is True

        called = store.call_next(3, None, "c0107")  # while the follower was cut off
        hall.restart_service()
        back = wait_for(lambda: [n for n in news.of(HallLink)[len(gone) :] if n.board], 30)
        assert back[0].board["calls"][0]["number"] == called.number
        wait_for(lambda: any(e.event["event"] == "called" for e in news.of(HallEvent)))
        assert hall.follower.alive and hall.follower.restarts == 0
    hall.follower.thread.join(45)  # at its next heartbeat at the latest
    assert not hall.follower.alive


class BrokenOnce(RemoteHall):
    """A fault switch: the first event stream opened raises a bug (not a `HallError`). Only
    the follower opens streams, so nothing else can meet the fault first."""

    broken = 1

    def events(self, stop: threading.Event, after: int | None = None) -> Iterator[dict]:
        if self.broken:
            self.broken -= 1
            raise KeyError("calls")
        return super().events(stop, after)


def test_a_bug_in_the_follower_is_reported_and_it_follows_again(store, caplog) -> None:
    with Followed(store, BrokenOnce) as hall:
        [restarted] = wait_for(lambda: hall.news.of(OwnerRestarted))
        assert restarted.message == "叫号服务后台任务出错（KeyError），已自动重启"
        wait_for(lambda: len(hall.news.of(HallLink)) == 2)  # connected before the bug, and again
        hall.sees(store.issue("general").number)
        assert hall.follower.alive and hall.follower.restarts == 1
        [logged] = [r for r in caplog.records if r.name == "clerk.owners"]
        assert logged.exc_info is not None  # the traceback is in the log
