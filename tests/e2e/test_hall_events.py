"""`clerk hall serve` as a real process: a board that follows its event stream sees every
call, also those made while the service was killed and restarted; the centre's rules."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from clerk.hall.client import HallError, RemoteHall, follow
from offline.queue import QueueStore

ROOT = Path(__file__).resolve().parents[2]


def serve(db: Path, port: int = 0, *rules: str) -> tuple[subprocess.Popen, str]:
    args = ["hall", "serve", "--db", str(db), "--port", str(port), "--no-voice", *rules]
    process = subprocess.Popen(
        [sys.executable, "-m", "clerk", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "CLERK_HOME": str(db.parent / "home")},
        start_new_session=True,
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def kill(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert process.stdout is not None
    process.stdout.close()


def wait_for(check, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)


def test_board_follows_calls_across_a_killed_service(tmp_path: Path) -> None:
    db = tmp_path / "hall.db"
    key = QueueStore(db).hall_key()
    process, url = serve(db)
    port = int(url.rsplit(":", 1)[1])
    windows = RemoteHall(url, key)
    board_side = RemoteHall(url, key)
    seen: list[tuple[str, str, int]] = []
    links: list[bool] = []
    stop = threading.Event()
    follower = threading.Thread(
        target=follow,
        args=(
            board_side,
            stop,
            lambda e: seen.append((e["event"], e["number"], e["window_no"])),
            lambda board: links.append(board is not None),
        ),
        kwargs={"retry": 0.2},
        daemon=True,
    )
    try:
        for _ in range(4):
            windows.issue("general")
        follower.start()
        wait_for(lambda: links == [True])
        windows.call_next(3, "c0107")
        wait_for(lambda: ("called", "C001", 3) in seen)

        kill(process)  # the hall PC loses power
        wait_for(lambda: False in links)
        process, _ = serve(db, port)  # back, on the same port, with the queue intact
        windows.call_next(3, "c0107")
        windows.call_next(5, "c0108")
        wait_for(lambda: ("called", "C003", 5) in seen)
        assert links[-1] is True
        called = [number for event, number, _ in seen if event == "called"]
        assert called == ["C001", "C002", "C003"]  # none missed, none twice
        assert windows.board()["windows"]["3"]["number"] == "C002"
    finally:
        stop.set()
        kill(process)
        windows.close()
        board_side.close()


def test_the_centres_rules_from_the_command_line(tmp_path: Path) -> None:
    db = tmp_path / "hall.db"
    key = QueueStore(db).hall_key()
    rules = ["--cap", "general=1", "--hours", "business=00:00-00:01", "--green", "one_in_n"]
    process, url = serve(db, 0, *rules)
    hall = RemoteHall(url, key)
    try:
        hall.issue("general")
        with pytest.raises(HallError, match="号已取完"):
            hall.issue("general")
        with pytest.raises(HallError, match="现在不是取号时间（取号时间 00:00-00:01）"):
            hall.issue("business")
        assert hall.issue("social_security").ticket.number == "A001"
    finally:
        kill(process)
        hall.close()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CLERK_HOME": str(tmp_path / "home")}
    bad = subprocess.run(
        [sys.executable, "-m", "clerk", "hall", "serve", "--db", str(db), "--hours", "*=17-8"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert bad.returncode == 1 and "“*=17-8”不正确" in bad.stderr  # usage errors exit 1 (README)


WINDOW = """
import sys, httpx
url, key, no = sys.argv[1], sys.argv[2], sys.argv[3]
with httpx.Client(base_url=url, headers={"X-Hall-Key": key}, timeout=30) as client:
    while (r := client.post(f"/windows/{no}/call", json={"clerk_id": "c" + no})).status_code == 200:
        print(r.json()["number"], flush=True)
"""


def test_eight_window_processes_drain_a_full_day(tmp_path: Path) -> None:
    """A day's worth of numbers (six kinds of 833: three digits allow 999 a kind a day, so
    5 994 is the most a hall can issue in a day), called by eight processes at once."""
    db = tmp_path / "hall.db"
    issuer = QueueStore(db)
    kinds = ["general", "social_security", "civil_affairs", "business", "construction_land"]
    kinds.append("agriculture")
    for n in range(6 * 833):
        issuer.issue(kinds[n % 6])
    key = issuer.hall_key()
    process, url = serve(db)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        windows = [
            subprocess.Popen(
                [sys.executable, "-c", WINDOW, url, key, str(no)],
                stdout=subprocess.PIPE,
                text=True,
                env=env,
            )
            for no in range(1, 9)
        ]
        called = {no: w.communicate(timeout=300)[0].split() for no, w in enumerate(windows, 1)}
    finally:
        kill(process)
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
