"""Nothing malformed gets in, end to end (issue 12, items 3, 6 and 7): `clerk` commands as an
admin runs them, against the reference platform over real HTTP on loopback, behind the
misbehaving proxy (`tests/e2e/misbehaving.py`) where the platform is to send what it must not.

- A change feed carrying control characters, a bidi override, the old purged marker as an
  ID number, an unknown status, an official number as a list and a version of 2^70: every
  such change is kept aside with a Chinese reason, nothing of it is stored, and listing,
  `clerk sync status` and `clerk db check` keep working and show no raw control character.
- 补录 (`clerk case import`) then `clerk sync`: a bad file (its line named as an editor counts
  it, blank lines included) and an import while another holds the lock create nothing and
  send nothing; a good file's cases reach the platform once, dated as on paper.
"""

from __future__ import annotations

import copy
import fcntl
import json
import os
import re

import pytest

from offline.blobs import BlobStore
from offline.catalog import demo_catalog
from offline.platform.server import serve_in_thread
from offline.platform.store import PlatformStore
from offline.store import Store
from offline.sync import Platform as Target
from offline.sync import SyncEngine
from tests.conftest import INIT, cli, pension
from tests.e2e.misbehaving import Misbehaving
from tests.unit.test_backfill import line

UNCLEAN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def platform(tmp_path):
    remote = PlatformStore(tmp_path / "platform.db")
    server, url = serve_in_thread(remote)
    bad = Misbehaving(url)
    yield remote, bad, url
    bad.close()
    server.shutdown()
    server.server_close()


@pytest.fixture
def home(tmp_path, platform):
    """A window (3) initialised and enrolled through the misbehaving proxy."""
    remote, bad, _ = platform
    token = tmp_path / "token"
    token.write_text(remote.add_device("win-03", "330212105", 3))
    home = tmp_path / "home"
    cli(home, *INIT)
    cli(home, "enrol", "--platform", bad.url, "--device-id", "win-03", "--token-file", str(token))
    return home


def sync_json(home, code: int = 0) -> dict:
    return json.loads(cli(home, "sync", "--json", code=code))


def other_window(tmp_path, platform, count: int) -> None:
    """Window 4 of the same centre accepts `count` cases and sends them straight to the
    platform, which then offers them to window 3 as snapshots (统一窗口出件)."""
    remote, _, url = platform
    target = Target(url, "win-04", remote.add_device("win-04", "330212105", 4))
    store = Store(tmp_path / "w4.db", centre_code="330212105", window_no=4)
    store.import_catalog(demo_catalog(), by="test")
    for n in range(count):
        store.accept(pension(f"王{'一二三四五六七'[n]}"), clerk_id="c0107")
    with SyncEngine(store, BlobStore(tmp_path / "w4-blobs"), target) as engine:
        assert engine.run().exit_code == 0
    store.close()


def spoil(changes: list[dict]) -> list[dict]:
    """The page with the platform's snapshots of window 4's first five cases each broken in
    one of the ways issue 12 found, and a broken copy of the change of window 3's own case
    ahead of the genuine one."""
    page = copy.deepcopy(changes)
    snapshots = [c for c in page if c["kind"] == "case.snapshot"]
    assert len(snapshots) == 7, changes
    breaks = [
        ("name", "张\x1b[31m三\x00\n"),  # a terminal colour, a NUL, a line feed
        ("name", "\u202e三张"),  # right-to-left override
        ("id_number", "已清除"),  # the old purged marker, to skip the ID check
    ]
    for snapshot, (field, value) in zip(snapshots, breaks, strict=False):
        snapshot["case"]["applicant"][field] = value
    snapshots[3]["status"] = "hacked_status"
    snapshots[4]["server_version"] = 2**70
    own = next(c for c in page if c["kind"] == "case.status")
    return [own | {"official_no": ["x"]}, *page]


def test_a_change_feed_with_unclean_or_invalid_data_stores_nothing_of_it(tmp_path, platform, home):
    remote, bad, _ = platform
    Store(home / "clerk.db", centre_code="330212105", window_no=3).accept(
        pension(), clerk_id="admin"
    )
    assert sync_json(home)["applied"] == 1
    other_window(tmp_path, platform, 7)
    remote.advance()  # window 3's own case moves on: a genuine change rides along
    bad.rewrite_changes(spoil)
    out = cli(home, "sync")
    assert "平台发来的 6 条变更不符合接口约定，未写入本机" in out
    summary = sync_json(home)  # the next run finds nothing more
    assert (summary["exit_code"], summary["changes_quarantined"]) == (0, 0)
    listed = json.loads(cli(home, "case", "list", "--json"))
    names = sorted(c["payload"]["applicant"]["name"] for c in listed)
    assert names == ["张三", "王七", "王六"]  # our own, and the two snapshots left intact
    own = next(c for c in listed if c["payload"]["window_no"] == 3)
    assert own["status"] == "approved" and own["official_no"]  # the genuine change applied
    status = cli(home, "sync", "status")
    kept = [row for row in status.splitlines() if row.startswith("被拒收的平台变更")]
    assert len(kept) == 6 and all("不符合接口约定" in row for row in kept), status
    assert "Input should" not in status  # the reasons are Chinese, not pydantic's English
    assert not UNCLEAN.search(status + cli(home, "case", "list"))
    assert "数据库正常" in cli(home, "db", "check")
    for case in listed:
        assert not UNCLEAN.search(cli(home, "case", "show", case["payload"]["local_no"]))


# --- 补录 then sync --------------------------------------------------------------------------


def paper(tmp_path, name: str, *lines: str) -> str:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return str(path)


def test_backfill_then_sync_all_or_nothing_and_once(tmp_path, platform, home):
    remote, _, _ = platform
    first, second = (
        line("登记簿第12页第1行"),
        line("登记簿第12页第2行", "李四", "440524188001010014"),
    )
    bad_ref = line("x", source_ref={"page": 12})
    attempts = [
        (
            paper(tmp_path, "ref.jsonl", first, "", second, "", bad_ref),
            "第5行",
            "source_ref：应为文字",
        ),
        (paper(tmp_path, "ctl.jsonl", first, "", line("r3", "张\x1b[31m三")), "第3行", "控制"),
        (paper(tmp_path, "rlo.jsonl", line("r1", "\u202e三张"), second), "第1行", ""),
        (paper(tmp_path, "pur.jsonl", first, line("r2", id_number="已清除")), "第2行", ""),
    ]
    for path, where, why in attempts:
        out = cli(home, "case", "import", path, code=1)
        assert where in out and why in out and "整个文件未导入" in out, out
        assert "内部错误" not in out and not UNCLEAN.search(out)
    good = paper(tmp_path, "good.jsonl", first, "", second)
    lock = os.open(home / "clerk.db.import.lock", os.O_CREAT | os.O_RDWR, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX)  # another import is running
    try:
        assert "另一个补录导入正在进行" in cli(home, "case", "import", good, code=1)
    finally:
        os.close(lock)
    assert json.loads(cli(home, "case", "list", "--json")) == []
    assert sync_json(home)["sent"] == 0 and remote.stats()["cases"] == 0  # nothing to send
    assert "已补录 2 件" in cli(home, "case", "import", good)
    assert sync_json(home)["applied"] == 2
    assert "已补录 0 件，已存在跳过 2 件" in cli(home, "case", "import", good)
    assert sync_json(home)["sent"] == 0
    assert remote.stats()["cases"] == 2 and remote.stats()["ops"] == 2
    on_paper = remote.db.conn.execute("SELECT payload FROM ops").fetchall()
    assert all(json.loads(p)["accepted_at"].startswith("2026-11-20T09:30") for (p,) in on_paper)
