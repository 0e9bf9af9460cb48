"""The hall service over HTTP on loopback, driven by `clerk hall` as windows and kiosks do."""

from __future__ import annotations

import itertools
import json
import threading

import httpx
import pytest

from clerk.hall.server import serve_in_thread
from offline.queue import QueueStore
from tests.conftest import cli


@pytest.fixture
def hall(tmp_path):
    store = QueueStore(tmp_path / "hall.db")
    server, url = serve_in_thread(store)
    home = tmp_path / "home"
    home.mkdir()
    key = cli(home, "hall", "key", "--db", str(tmp_path / "hall.db")).strip()
    (home / "clerk.toml").write_text(f'[hall]\nurl = "{url}"\nkey = "{key}"\n', "utf-8")
    yield home, url, store
    server.shutdown()
    server.server_close()


def test_issue_call_status_report(hall):
    home, _, _ = hall
    assert cli(home, "hall", "issue", "general").startswith("C001（综合服务，前面还有 0 人）")
    second = json.loads(cli(home, "hall", "issue", "general", "--json"))
    assert (second["number"], second["ahead"]) == ("C002", 1)
    cli(home, "hall", "issue", "social_security", "--green")
    assert "3号窗口办理：综合服务" in cli(home, "hall", "window", "set", "3", "--kinds", "general")
    assert (
        cli(home, "hall", "call", "--window", "3", "--clerk", "c0107") == "请C001号到3号窗口办理\n"
    )
    called = json.loads(cli(home, "hall", "call", "--window", "5", "--json"))
    assert called["number"] == "A001"  # window 5 serves every kind; green first
    status = json.loads(cli(home, "hall", "status", "--json"))
    assert status == {"waiting": {"general": 1}, "windows": {"3": "C001", "5": "A001"}}
    assert "请C002号到5号窗口办理" in cli(home, "hall", "call", "--window", "5")
    assert "没有人在排队" in cli(home, "hall", "call", "--window", "5", code=1)
    rows = json.loads(cli(home, "hall", "report", "--json"))["rows"]
    assert {(r["window_no"], r["clerk_id"]) for r in rows} == {(3, "c0107"), (5, "")}


def test_wrong_key_and_no_hall(hall, tmp_path):
    home, url, _ = hall
    assert httpx.get(f"{url}/status").status_code == 401
    other = tmp_path / "other"
    other.mkdir()
    (other / "clerk.toml").write_text(f'[hall]\nurl = "{url}"\nkey = "wrong"\n', "utf-8")
    assert "密钥不正确" in cli(other, "hall", "status", code=1)
    assert "无法连接" in cli(home, "hall", "status", "--hall", "http://127.0.0.1:9", code=1)
    assert "没有这类业务" in cli(home, "hall", "issue", "fishing", code=1)


def test_eight_windows_through_the_service(hall):
    _home, url, store = hall
    for n in range(400):
        store.issue(["general", "social_security"][n % 2])
    key = store.hall_key()
    called, lock = [], threading.Lock()

    def window(no: int) -> None:
        with httpx.Client(base_url=url, headers={"X-Hall-Key": key}) as client:
            while (r := client.post(f"/windows/{no}/call", json={})).status_code == 200:
                with lock:
                    called.append(r.json()["number"])

    threads = [threading.Thread(target=window, args=(n,)) for n in range(1, 9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(called) == 400 and len(set(called)) == 400


def test_restart_mid_day_keeps_the_queue(tmp_path):
    db = tmp_path / "hall.db"
    first = QueueStore(db)
    server, url = serve_in_thread(first)
    key = {"X-Hall-Key": first.hall_key()}
    for kind in ("general", "general", "social_security"):
        httpx.post(f"{url}/tickets", json={"kind": kind}, headers=key)
    httpx.post(f"{url}/windows/3/call", json={"clerk_id": "c0107"}, headers=key)
    server.shutdown()
    server.server_close()
    first.close()
    again = QueueStore(db)
    server, url = serve_in_thread(again)
    try:
        state = httpx.get(f"{url}/status", headers=key).json()
        assert state == {"waiting": {"general": 1, "social_security": 1}, "windows": {"3": "C001"}}
        assert (
            httpx.post(f"{url}/tickets", json={"kind": "general"}, headers=key).json()["number"]
            == "C003"
        )  # numbering goes on
        called = httpx.post(f"{url}/windows/3/call", json={}, headers=key).json()
        assert called["number"] == "C002"
    finally:
        server.shutdown()
        server.server_close()


def test_calls_are_announced_once_and_recalls_throttled(tmp_path):
    import time

    from clerk.hall.server import Calls
    from devices.voice import Announcer, VoiceSettings

    store = QueueStore(tmp_path / "hall.db")
    announcer = Announcer(VoiceSettings(output=str(tmp_path / "wav"), repeat=1))
    server, url = serve_in_thread(store, calls=Calls(announcer, gap=0.5))
    key = {"X-Hall-Key": store.hall_key()}
    try:
        for _ in range(2):
            httpx.post(f"{url}/tickets", json={"kind": "general"}, headers=key)
        first = httpx.post(f"{url}/windows/3/call", json={}, headers=key).json()
        again = httpx.post(f"{url}/windows/3/recall", json={}, headers=key).json()
        time.sleep(0.6)
        later = httpx.post(f"{url}/windows/3/recall", json={}, headers=key).json()
        other = httpx.post(f"{url}/windows/4/call", json={}, headers=key).json()
        assert (first["announced"], again["announced"], later["announced"]) == (True, False, True)
        assert other["announced"] and other["number"] == "C002"
    finally:
        server.shutdown()
        server.server_close()
        announcer.close()
    spoken = [a.text for a in announcer.history]
    assert spoken == [
        "请C零零一号到3号窗口办理",
        "请C零零一号到3号窗口办理",
        "请C零零二号到4号窗口办理",
    ]
    assert len(list((tmp_path / "wav").glob("*.wav"))) == 3
    history = announcer.history
    assert all(b.started >= a.ended for a, b in itertools.pairwise(history))


def test_an_over_long_pause_reason_is_refused_in_chinese_over_http(hall):
    from clerk.hall.client import HallError, RemoteHall
    from offline.queue import PAUSE_REASON_MAX

    home, url, store = hall
    key = (home / "clerk.toml").read_text("utf-8").split('key = "')[1].split('"')[0]
    remote = RemoteHall(url, key)
    try:
        with pytest.raises(HallError, match="暂停原因"):
            remote.pause(3, "临" * (PAUSE_REASON_MAX + 1), "c0107")
        remote.pause(3, "系统维护", "c0107")
    finally:
        remote.close()
    assert store._paused(3) == "系统维护"
