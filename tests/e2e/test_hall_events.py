"""`clerk hall serve` as a real process: a board that follows its event stream sees every
call, also those made while the service was killed and restarted; the centre's rules."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from clerk.hall.client import HallError, RemoteHall
from clerk.hall.follower import HallEvent, HallFollower, HallLink, HallNews
from offline.queue import QueueStore
from tests.e2e.processes import ROOT, Processes


def serve(
    processes: Processes, db: Path, port: int = 0, *rules: str
) -> tuple[subprocess.Popen, str]:
    args = ["hall", "serve", "--db", str(db), "--port", str(port), "--no-voice", *rules]
    return processes.serve(*args, home=db.parent / "home")


def hall_key(db: Path) -> str:
    """The hall's admin key, made as `clerk hall key` does, the database closed again."""
    store = QueueStore(db)
    try:
        return store.hall_key()
    finally:
        store.close()


def wait_for(check, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)


def test_board_follows_calls_across_a_killed_service(tmp_path: Path, processes: Processes) -> None:
    db = tmp_path / "hall.db"
    key = hall_key(db)
    process, url = serve(processes, db)
    port = int(url.rsplit(":", 1)[1])
    windows = RemoteHall(url, key)
    board_side = RemoteHall(url, key)
    seen: list[tuple[str, str, int]] = []
    links: list[bool] = []

    def report(news: HallNews) -> None:  # the board's side of the hall follow job's owner
        if isinstance(news, HallEvent):
            e = news.event
            seen.append((e["event"], e["number"], e["window_no"]))
        elif isinstance(news, HallLink):
            links.append(news.board is not None)

    follower = HallFollower(lambda: board_side, report, retry=0.2)
    try:
        for _ in range(4):
            windows.issue("general")
        follower.start()
        wait_for(lambda: links == [True])
        windows.call_next(3, "c0107")
        wait_for(lambda: ("called", "C001", 3) in seen)

        processes.kill(process)  # the hall PC loses power
        wait_for(lambda: False in links)
        serve(processes, db, port)  # back, on the same port, with the queue intact
        windows.call_next(3, "c0107")
        windows.call_next(5, "c0108")
        wait_for(lambda: ("called", "C003", 5) in seen)
        assert links[-1] is True
        called = [number for event, number, _ in seen if event == "called"]
        assert called == ["C001", "C002", "C003"]  # none missed, none twice
        assert windows.board()["windows"]["3"]["number"] == "C002"
        assert follower.alive and follower.restarts == 0  # a lost hall is a state, not a bug
    finally:
        follower.stop()
        processes.kill_all()  # the stream ends with the service: the follower returns
        if follower.thread.ident is not None:  # started
            follower.thread.join(30)
        windows.close()
        board_side.close()  # after the follower, never under a connection it is opening
    assert not follower.alive


def test_the_centres_rules_from_the_command_line(tmp_path: Path, processes: Processes) -> None:
    db = tmp_path / "hall.db"
    key = hall_key(db)
    rules = ["--cap", "general=1", "--hours", "business=00:00-00:01", "--green", "one_in_n"]
    _, url = serve(processes, db, 0, *rules)
    hall = RemoteHall(url, key)
    try:
        hall.issue("general")
        with pytest.raises(HallError, match="号已取完"):
            hall.issue("general")
        with pytest.raises(HallError, match="现在不是取号时间（取号时间 00:00-00:01）"):
            hall.issue("business")
        assert hall.issue("social_security").ticket.number == "A001"
    finally:
        hall.close()
    bad = processes.clerk(
        *("hall", "serve", "--db", str(db), "--hours", "*=17-8"),
        home=tmp_path / "home",
        stderr=subprocess.PIPE,
        text=True,
    )
    _, said = bad.communicate(timeout=60)
    assert bad.returncode == 1 and "“*=17-8”不正确" in said  # usage errors exit 1 (README)


WINDOW = """
import sys, httpx
url, key, no = sys.argv[1], sys.argv[2], sys.argv[3]
with httpx.Client(base_url=url, headers={"X-Hall-Key": key}, timeout=30) as client:
    while (r := client.post(f"/windows/{no}/call", json={"clerk_id": "c" + no})).status_code == 200:
        print(r.json()["number"], flush=True)
"""


def test_eight_window_processes_drain_a_full_day(tmp_path: Path, processes: Processes) -> None:
    """A day's worth of numbers (six kinds of 833: three digits allow 999 a kind a day, so
    5 994 is the most a hall can issue in a day), called by eight processes at once."""
    db = tmp_path / "hall.db"
    issuer = QueueStore(db)
    kinds = ["general", "social_security", "civil_affairs", "business", "construction_land"]
    kinds.append("agriculture")
    for n in range(6 * 833):
        issuer.issue(kinds[n % 6])
    key = issuer.hall_key()
    _, url = serve(processes, db)
    windows = [
        processes.start(
            [sys.executable, "-c", WINDOW, url, key, str(no)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for no in range(1, 9)
    ]
    called = {no: w.communicate(timeout=300)[0].split() for no, w in enumerate(windows, 1)}
    numbers = [n for per_window in called.values() for n in per_window]
    assert len(numbers) == 6 * 833 and len(set(numbers)) == len(numbers)  # none twice
    assert sum(1 for per_window in called.values() if per_window) > 1  # really shared
    held = issuer.db.conn.execute(
        "SELECT window_no, COUNT(*) FROM tickets WHERE state IN ('called', 'serving') "
        "GROUP BY window_no"
    ).fetchall()
    assert held == []  # the last call, to an empty queue, finished each window's ticket
    for no, per_window in called.items():  # never two at a window: each call finished the last
        events = issuer.db.conn.execute(
            "SELECT e.event, t.number FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id "
            "WHERE e.window_no = ? AND e.event IN ('called', 'finished') ORDER BY e.id",
            [no],
        ).fetchall()
        assert events == [(e, n) for n in per_window for e in ("called", "finished")]
    issuer.close()
