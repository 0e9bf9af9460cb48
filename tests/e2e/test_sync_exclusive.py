"""One sync run at a time per store, across processes: four `clerk sync` processes and the
desk's own sync on one store, a run killed while it holds the lock, and `clerk sync verify`
comparing each case's status and official number.

The platform sits behind a loopback proxy that slows every request a little and records how
many requests are in flight at once. A single run sends one request at a time, so two in
flight together means two runs overlapped.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from clerk.services import build
from clerk.window import Desk
from offline import sync_lock
from offline.platform.server import serve_in_thread
from offline.platform.store import PlatformStore
from tests.conftest import INIT, cli
from tests.e2e.test_sync_cli import accept

ROOT = Path(__file__).resolve().parents[2]
HOP_HEADERS = {"host", "content-length", "transfer-encoding", "connection", "content-encoding"}


class CountingProxy(ThreadingHTTPServer):
    """Forwards to the platform after `delay` seconds; `peak` is the most requests that
    were in flight at once."""

    daemon_threads = True

    def __init__(self, upstream: str, delay: float) -> None:
        super().__init__(("127.0.0.1", 0), _Forward)
        self.upstream, self.delay = upstream, delay
        self.client = httpx.Client(base_url=upstream, timeout=30)
        self.lock = threading.Lock()
        self.in_flight = self.peak = self.requests = 0

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        assert isinstance(host, str)
        return f"http://{host}:{port}"


class _Forward(BaseHTTPRequestHandler):
    server: CountingProxy

    def _forward(self) -> None:
        proxy = self.server
        with proxy.lock:
            proxy.in_flight += 1
            proxy.requests += 1
            proxy.peak = max(proxy.peak, proxy.in_flight)
        try:
            time.sleep(proxy.delay)
            size = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(size) if size else b""
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
            if self.headers.get("Content-Encoding"):  # the ops batch is sent gzipped
                headers["Content-Encoding"] = self.headers["Content-Encoding"]
            answer = proxy.client.request(self.command, self.path, content=body, headers=headers)
        finally:
            with proxy.lock:
                proxy.in_flight -= 1
        self.send_response(answer.status_code)
        for key, value in answer.headers.items():
            if key.lower() not in HOP_HEADERS:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(answer.content)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer.content)

    do_GET = do_POST = do_PUT = do_HEAD = _forward

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Path, PlatformStore, CountingProxy]]:
    """An enrolled window whose platform is reached through the counting proxy."""
    db = tmp_path / "platform.db"
    out = cli(tmp_path, "platform", "device", "add", "--db", str(db), "--device-id", "win-03",
              "--centre-code", "330212105")  # fmt: skip
    (tmp_path / "token").write_text(out.strip().splitlines()[-1])
    store = PlatformStore(db)
    server, url = serve_in_thread(store)
    proxy = CountingProxy(url.removesuffix("/api/v1"), delay=0.01)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    home = tmp_path / "home"
    cli(home, *INIT)
    cli(home, "enrol", "--platform", f"{proxy.url}/api/v1", "--device-id", "win-03",
        "--token-file", str(tmp_path / "token"))  # fmt: skip
    yield home, store, proxy
    proxy.shutdown()
    proxy.server_close()
    proxy.client.close()
    server.shutdown()
    server.server_close()


def clerk_sync(home: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CLERK_HOME": str(home)}
    return subprocess.Popen(
        [sys.executable, "-m", "clerk", "sync", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_four_syncs_and_the_desk_run_one_at_a_time(world) -> None:
    home, platform, proxy = world
    accept(home, 500)  # three batches of up to 200 operations
    runs = [clerk_sync(home, "--json", "--wait", "600") for _ in range(4)]
    services = build(home)
    desk_news = []
    desk = threading.Thread(target=lambda: desk_news.append(Desk(services).sync_once()))
    time.sleep(0.5)  # the processes are starting and racing for the lock
    desk.start()
    outputs = [p.communicate(timeout=600) for p in runs]
    desk.join(timeout=600)
    assert [p.returncode for p in runs] == [0, 0, 0, 0], [err for _, err in outputs]
    assert desk_news and desk_news[0].state.online, desk_news
    summaries = [json.loads(out) for out, _ in outputs]
    assert all(s["pending"] == 0 and s["exit_code"] == 0 for s in summaries), summaries
    assert proxy.requests > 5 * 3  # every run did talk to the platform
    assert proxy.peak == 1, "two sync runs overlapped"
    services.close()
    assert platform.stats()["ops"] == 500
    assert "状态和正式编号相同" in cli(home, "sync", "verify")
    remote = dict(platform.db.conn.execute("SELECT case_id, official_no FROM cases"))
    with sqlite3.connect(home / "clerk.db") as local:
        mine = dict(local.execute("SELECT case_id, official_no FROM cases"))
        statuses = {s for (s,) in local.execute("SELECT status FROM cases")}
    assert mine == remote and None not in mine.values()
    assert statuses == {"in_review"}


def test_verify_names_a_case_whose_official_number_differs(world) -> None:
    home, _, _ = world
    accept(home, 3)
    cli(home, "sync")
    assert "核对办件 3 件，状态和正式编号相同" in cli(home, "sync", "verify")
    with sqlite3.connect(home / "clerk.db") as local:
        case_id, local_no = local.execute("SELECT case_id, local_no FROM cases").fetchone()
        local.execute("UPDATE cases SET official_no = 'X1' WHERE case_id = ?", [case_id])
    out = cli(home, "sync", "verify", code=1)
    assert f"办件 {local_no}：正式编号 本机“X1”" in out and "1 处不一致" in out
    with sqlite3.connect(home / "clerk.db") as local:
        local.execute("UPDATE cases SET official_no = NULL WHERE case_id = ?", [case_id])
        local.execute("UPDATE cases SET status = 'accepted' WHERE case_id = ?", [case_id])
    out = cli(home, "sync", "verify", code=1)
    assert "状态 本机“已受理”，平台“审查中”" in out and "正式编号 本机“无”" in out


def test_a_second_sync_is_refused_with_its_own_exit_code(world) -> None:
    home, _, _ = world
    with sync_lock.exclusive(home / "clerk.db"):
        busy = clerk_sync(home, "--wait", "0.2")
        out, err = busy.communicate(timeout=120)
    assert busy.returncode == 4, (out, err)
    assert f"另一个同步正在进行（进程 {os.getpid()}" in err and "本次未运行" in err
    assert "Traceback" not in err


def test_a_killed_sync_leaves_no_lock_behind(world) -> None:
    home, platform, proxy = world
    accept(home, 200)
    proxy.delay = 0.2  # a slow network: the run is still going when it is killed
    victim = clerk_sync(home)
    lock = sync_lock.lock_path(home / "clerk.db")
    deadline = time.monotonic() + 120
    while f"进程 {victim.pid}" not in (lock.read_text() if lock.exists() else ""):
        assert time.monotonic() < deadline and victim.poll() is None
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.communicate()
    proxy.delay = 0.0
    after = clerk_sync(home, "--json", "--wait", "0")  # no waiting: the lock must be free
    out, err = after.communicate(timeout=300)
    assert after.returncode == 0, err
    assert json.loads(out)["pending"] == 0
    assert platform.stats()["ops"] == 200
