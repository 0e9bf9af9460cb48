"""The hall queue core on a real SQLite file: numbering, the state machine, fairness rules,
and many windows calling at once."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest

from offline import queue as hall
from offline.clock import now
from offline.queue import PREFIXES, QueueError, QueuePolicy, QueueStore, parse_hours


@pytest.fixture
def q(tmp_path):
    store = QueueStore(tmp_path / "hall.db")
    yield store
    store.close()


def test_numbers_per_kind_and_a_new_day(q, monkeypatch):
    assert [q.issue("general").number for _ in range(3)] == ["C001", "C002", "C003"]
    assert q.issue("social_security").number == "A001"
    tomorrow = now() + timedelta(days=1)
    monkeypatch.setattr(hall, "now", lambda: tomorrow)
    assert q.issue("general").number == "C001"
    assert q.call_next(3, None, "c0107").number == "C001"  # yesterday's tickets are not called
    with pytest.raises(QueueError, match="没有这类业务"):
        q.issue("fishing")


def test_a_day_at_the_window(q):
    for _ in range(3):
        q.issue("general")
    first = q.call_next(3, ["general"], "c0107")
    assert (first.number, first.state, first.window_no) == ("C001", "called", 3)
    assert q.recall(3, "c0107").number == "C001"
    assert q.start(3, "c0107").state == "serving"
    second = q.call_next(3, ["general"], "c0107")  # finishes C001, calls C002
    assert second.number == "C002"
    assert q.no_show(3, "c0107").state == "no_show"
    third = q.call_next(3, None, "c0107")
    assert q.park(3, "c0107").state == "parked"
    assert q.call_next(3, None, "c0107") is None  # nobody waits
    assert q.call_back(3, third.number, "c0107").state == "called"
    with pytest.raises(QueueError, match="请先结束"):
        q.call_back(3, "C001", "c0107")
    q.finish(3, "c0107")
    assert q.current(3) is None
    q.reactivate("C002", by="admin")  # the no-show came back
    assert q.call_next(4, None, "c0108").number == "C002"
    with pytest.raises(QueueError, match="只能恢复"):
        q.reactivate("C003", by="admin")


def test_transfer_keeps_the_number(q):
    q.issue("general")
    q.issue("social_security")
    q.call_next(3, ["general"], "c0107")
    moved = q.transfer(3, "c0107", kind="social_security")
    assert (moved.number, moved.kind, moved.state) == ("C001", "social_security", "issued")
    assert q.call_next(5, ["social_security"], "c0201").number == "C001"  # first come
    q.set_window(7, ["general", "social_security"])
    q.transfer(5, "c0201", to_window=7)
    assert q.call_next(6, None, "c0301").number == "A001"  # not for window 6
    assert q.call_next(7, None, "c0401").number == "C001"


def test_transfer_refuses_a_window_the_hall_does_not_have(q):
    q.issue("general")
    q.call_next(3, None, "c0107")
    with pytest.raises(QueueError, match="没有99号窗口（本大厅其他窗口：无）"):
        q.transfer(3, "c0107", to_window=99)
    with pytest.raises(QueueError, match="不能转移到本窗口"):
        q.transfer(3, "c0107", to_window=3)
    assert q.current(3).number == "C001"  # refused: the ticket stays at the window
    q.set_window(5, ["general"])
    assert q.window_view(3)["windows"] == [3, 5]
    assert q.transfer(3, "c0107", to_window=5).window_no == 5


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        # C001..C003 plain, C004 and C005 green: the green ones jump the queue, all of them
        # or one call in three
        (QueuePolicy(), [2, 3, 4, 0, 1]),
        (QueuePolicy(green="one_in_n", every=3), [1, 2, 4, 0, 3]),
    ],
)
def test_ahead_is_the_true_number_called_before(tmp_path, policy, expected):
    q = QueueStore(tmp_path / "g.db", policy)
    tickets = [q.issue("general", green=n >= 3).number for n in range(5)]
    assert [q.ahead_of(t) for t in tickets] == expected
    order = []
    while (called := q.call_next(3, None, "c")) is not None:
        order.append(called.number)
    assert [order.index(t) for t in tickets] == expected  # what was told is what happened


def test_green_channel_first_or_one_in_n(tmp_path):
    first = QueueStore(tmp_path / "a.db")
    for _ in range(2):
        first.issue("general")
    first.issue("general", green=True)
    assert first.call_next(3, None, "c").number == "C003"
    ratio = QueueStore(tmp_path / "b.db", QueuePolicy(green="one_in_n", every=3))
    for n in range(6):
        ratio.issue("general", green=n >= 3)
    called = [ratio.call_next(3, None, "c").number for _ in range(6)]
    assert called == ["C004", "C001", "C002", "C005", "C003", "C006"]


def test_one_open_ticket_per_person_and_caps(tmp_path):
    q = QueueStore(tmp_path / "c.db", QueuePolicy(caps={"business": 2}))
    q.issue("general", id_number="330212198001011238")
    with pytest.raises(QueueError, match="已有一个该业务的号"):
        q.issue("general", id_number="330212198001011238")
    assert q.issue("business", id_number="330212198001011238").number == "D001"
    q.issue("business")
    with pytest.raises(QueueError, match="号已取完"):
        q.issue("business")
    assert q.waiting() == {"general": 1, "business": 2}
    q.call_next(3, ["general"], "c")
    q.finish(3, "c")
    assert q.issue("general", id_number="330212198001011238").number == "C002"  # done: again


def test_eight_windows_calling_at_once_never_share_or_double(tmp_path):
    path = tmp_path / "hall.db"
    QueueStore(path)  # create the schema once
    issuer = QueueStore(path)
    kinds = ["general", "social_security", "civil_affairs", "business"]
    for n in range(2000):  # 500 of each kind: three-digit numbers allow 999 a day
        issuer.issue(kinds[n % 4])
    called: list[tuple[int, str]] = []
    lock, errors = threading.Lock(), []

    def window(no: int) -> None:
        store = QueueStore(path)  # each window its own store and connection; turns shared
        try:
            while (ticket := store.call_next(no, None, f"c{no}")) is not None:
                assert store.current(no).number == ticket.number
                with lock:
                    called.append((no, ticket.number))
        except Exception as error:
            errors.append(error)
        finally:
            store.close()

    threads = [threading.Thread(target=window, args=(n,)) for n in range(1, 9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    numbers = [n for _, n in called]
    assert len(numbers) == 2000 and len(set(numbers)) == 2000
    open_now = issuer.db.conn.execute(
        "SELECT window_no, COUNT(*) FROM tickets WHERE state IN ('called', 'serving') "
        "GROUP BY window_no"
    ).fetchall()
    assert all(count == 1 for _, count in open_now) and len(open_now) <= 8
    assert len({w for w, _ in called}) > 1  # the work was really shared


def test_report_per_window_and_clerk(q):
    for _ in range(3):
        q.issue("general")
    q.call_next(3, None, "c0107")
    q.call_next(3, None, "c0107")
    q.no_show(3, "c0107")
    q.call_next(4, None, "c0108")
    rows = {(r["window_no"], r["clerk_id"]): r for r in q.report(now().date().isoformat())}
    assert rows[(3, "c0107")]["tickets"] == 2 and rows[(3, "c0107")]["no_shows"] == 1
    assert rows[(4, "c0108")]["tickets"] == 1 and rows[(3, "c0107")]["wait_min"] >= 0


def test_opening_hours_per_kind(tmp_path, monkeypatch):
    hours = {"*": parse_hours("08:30-12:00,13:30-17:00"), "business": "09:00-11:00"}
    q = QueueStore(tmp_path / "hall.db", QueuePolicy(hours=hours))
    day = now().replace(hour=12, minute=30)
    monkeypatch.setattr(hall, "now", lambda: day)
    with pytest.raises(QueueError, match="现在不是取号时间（取号时间 08:30-12:00、13:30-17:00）"):
        q.issue("general")
    day = day.replace(hour=13, minute=30)
    assert q.issue("general").number == "C001"
    with pytest.raises(QueueError, match="09:00-11:00"):
        q.issue("business")
    with pytest.raises(ValueError, match="时段不正确"):
        parse_hours("17:00-08:30")
    with pytest.raises(ValueError):
        parse_hours("8点-9点")


def test_board_and_events_show_numbers_never_people(q):
    q.issue("general", id_number="330212198001011238")
    q.issue("social_security")
    assert q.served_kinds() == list(PREFIXES)  # no window configured: every kind
    q.set_window(3, ["general"])
    q.set_window(5, ["social_security", "general"])
    assert q.served_kinds() == ["social_security", "general"]
    start = q.last_event_id()
    q.call_next(3, ["general"], "c0107")
    q.call_next(5, ["social_security"], "c0108")
    q.pause(5, "系统维护", "c0108")
    board = q.board()
    assert board["calls"][0]["number"] == "A001" and board["calls"][0]["window_no"] == 5
    assert board["windows"] == {
        "3": {"number": "C001", "paused": False},
        "5": {"number": "A001", "paused": True},
    }
    assert board["waiting"] == {} and board["last_event"] == q.last_event_id()
    events = q.events_after(start)
    assert [(e["event"], e["number"], e["window_no"]) for e in events] == [
        ("called", "C001", 3),
        ("called", "A001", 5),
    ]
    text = json.dumps([board, q.events_after(0)], ensure_ascii=False)
    assert "330212" not in text and "c0107" not in text and "系统维护" not in text


def test_a_pause_reason_is_short_enough_for_the_queue_panel(q):
    with pytest.raises(QueueError, match=f"暂停原因不能超过{hall.PAUSE_REASON_MAX}个字"):
        q.pause(5, "临" * (hall.PAUSE_REASON_MAX + 1), "c0108")
    assert q._paused(5) is None  # nothing kept
    q.pause(5, "临" * hall.PAUSE_REASON_MAX, "c0108")
    assert q._paused(5) == "临" * hall.PAUSE_REASON_MAX
