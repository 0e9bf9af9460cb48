"""`clerk enrol`, `clerk sync` and `clerk platform` as an admin runs them, including
`clerk sync` killed with SIGKILL at random moments and run again."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from offline.platform.server import serve_in_thread
from offline.platform.store import PlatformStore
from offline.store import Store
from tests.conftest import INIT, pension
from tests.conftest import cli as run

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def platform(tmp_path):
    db = tmp_path / "platform.db"
    out = run(
        tmp_path,
        "platform",
        "device",
        "add",
        "--db",
        str(db),
        "--device-id",
        "win-03",
        "--centre-code",
        "330212105",
    )
    (tmp_path / "token").write_text(out.strip().splitlines()[-1])
    store = PlatformStore(db)
    server, url = serve_in_thread(store)
    yield store, url, tmp_path / "token"
    server.shutdown()
    server.server_close()


@pytest.fixture
def home(tmp_path, platform):
    home = tmp_path / "home"
    run(home, *INIT, input="0000\n")
    run(
        home,
        "enrol",
        "--platform",
        platform[1],
        "--device-id",
        "win-03",
        "--token-file",
        str(platform[2]),
    )
    return home


def accept(home, count):
    store = Store(home / "clerk.db", centre_code="330212105", window_no=3)
    for _ in range(count):
        store.accept(pension(), clerk_id="admin")
    store.close()


def test_enrol_sync_status_verify(home, platform):
    token = platform[2].read_text()
    assert token not in (home / "clerk.toml").read_text()
    assert oct((home / "platform.token").stat().st_mode & 0o777) == "0o600"
    accept(home, 4)
    assert "待上报 4" in run(home, "sync", "status")
    summary = json.loads(run(home, "sync", "--json"))
    assert (summary["applied"], summary["exit_code"]) == (4, 0)
    assert "一致" in run(home, "sync", "verify")
    status = json.loads(run(home, "sync", "status", "--json"))
    assert (status["acked"], status["pending"]) == (4, 0) and status["last_success"]
    db = str(platform[2].parent / "platform.db")
    assert "已推进 4 项" in run(home, "platform", "advance", "--db", db)
    assert "取回变更 4 条" in run(home, "sync")
    stats = json.loads(run(home, "platform", "stats", "--db", db, "--json"))
    assert stats == {"cases": 4, "ops": 4, "blobs": 0, "duplicates": 0}
    logs = "".join(p.read_text() for p in (home / "logs").glob("clerk.log*"))
    assert token not in logs
    assert "已清除 0 件" in run(home, "db", "purge", "--days", "1")  # nothing closed yet


def test_exit_codes_unreachable_and_quarantined(home, platform):
    accept(home, 1)
    out = run(home, "sync", "--platform", "http://127.0.0.1:9/api/v1", code=3)
    assert "仍待上报 1" in out
    platform[0].items.clear()  # the platform refuses every item now
    run(home, "sync", code=2)
    [op] = json.loads(run(home, "sync", "quarantine", "--json"))
    assert "unknown_item" in op["last_error"]
    assert "已重新排队" in run(home, "sync", "quarantine", "retry", op["op_id"])
    assert "没有隔离中的办件或操作" in run(home, "sync", "quarantine", "retry", "nope", code=1)


def test_https_is_required_off_loopback(home, platform):
    out = run(
        home,
        "enrol",
        "--platform",
        "http://10.0.0.1/api/v1",
        "--device-id",
        "w",
        "--token-file",
        str(platform[2]),
        code=1,
    )
    assert "https" in out


def test_sync_killed_at_random_moments_converges(home, platform):
    """Each run is killed with SIGKILL at a random moment; afterwards every operation is on
    the platform exactly once and nothing is lost locally."""
    accept(home, 450)  # three batches of up to 200
    rng = random.Random(3)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CLERK_HOME": str(home)}
    for _ in range(6):
        process = subprocess.Popen(
            [sys.executable, "-m", "clerk", "sync"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.3, 1.2))
        process.send_signal(signal.SIGKILL)
        process.wait()
    final = json.loads(run(home, "sync", "--json"))
    assert final["exit_code"] == 0, final
    assert platform[0].stats()["ops"] == 450
    assert "一致：本机已确认 450 条操作，平台保存 450 条" in run(home, "sync", "verify")
