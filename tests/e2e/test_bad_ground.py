"""Bad ground for real: the data directory on a tiny tmpfs filled to ENOSPC, remounted
read-only, and a file-size limit (EFBIG). Each refusal is one Chinese line with exit code 1,
no traceback; read-only commands keep working; nothing is written half (the store opens and
checks clean when the ground is good again; no 0-byte token or config)."""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import subprocess
import sys
from pathlib import Path

from offline.store import Store
from tests.conftest import INIT, cli, pension
from tests.e2e.conftest import Reference
from tests.e2e.ground import ROOT, on_tiny_disk

# The desk's own path: its services and window open, a clerk logs in, the ground goes bad
# (`{ground}` runs in the same process), 受理 is pressed. A mount cannot become read-only under
# a process that has files open for writing: that desk starts on the read-only mount.
DESK = """
import os, sys, json
from pathlib import Path
from clerk.services import build
from clerk.window import Desk
from clerk.errors import explain
from tests.conftest import pension
from tests.e2e.ground import fill, remount
home = Path(os.environ["CLERK_HOME"])
{before}
try:
    desk = Desk(build(home))
    desk.login("admin", "0000")
    {ground}
    desk.accept(pension("李四"))
    print("受理成功")
except Exception as error:
    print(explain(error))
"""
FULL = DESK.format(before="", ground="fill(home.parent)")
READ_ONLY = DESK.format(before="remount(home.parent, 'ro')", ground="")


def _paper(tmp_path: Path, ref: str) -> Path:
    """A 补录 file of one paper case, for `clerk case import`."""
    from offline.clock import now

    line = {
        "item": {"code": "330212105-GG-0012", "version": 1, "name": "城乡居民基本养老保险参保登记"},
        "applicant": {
            "kind": "person",
            "name": "王五",
            "id_type": "resident_id",
            "id_number": "330212198001011238",
        },
        "form": {"contribution_grade": "500元", "bank_account": "6228480012345678901"},
        "materials": [
            {"code": "M01", "name": "", "status": "received", "copies": 1},
            {"code": "M02", "name": "", "status": "missing_allowed"},
        ],
        "accepted_at": now().isoformat(),
        "clerk_id": "admin",
        "window_no": 3,
        "source_ref": ref,
    }
    path = tmp_path / f"{ref}.jsonl"
    path.write_text(json.dumps(line, ensure_ascii=False) + "\n")
    return path


def _refused(result: dict, words: str) -> None:
    """One Chinese line on stderr naming the ground, exit code 1, nothing else."""
    said = result["err"].strip()
    assert result["code"] == 1, result
    assert "Traceback" not in result["err"] + result["out"], result
    assert said.count("\n") == 0 and said.startswith("错误：") and words in said, result
    assert "内部错误" not in said, result


def _works(result: dict, words: str = "") -> None:
    assert result["code"] == 0 and not result["err"], result
    assert words in result["out"], result


def _cases(home: Path) -> list[str]:
    return _cases_in(home / "clerk.db")


def full(step: list[str]) -> list[list[str]]:
    """The step on a disk filled again just before it."""
    return [["fill"], step]


def _cases_in(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [no for (no,) in conn.execute("SELECT local_no FROM cases")]
    finally:
        conn.close()


def _prepared(home: Path) -> None:
    store = Store(home / "clerk.db", centre_code="330212105", window_no=3)
    store.accept(pension(), clerk_id="admin")
    store.close()


def test_a_full_disk(tmp_path, enrolled: Path, reference: Reference):
    _prepared(enrolled)
    token, conf = (enrolled / n for n in ("platform.token", "clerk.toml"))
    kept = token.read_bytes(), conf.read_bytes()
    mount = tmp_path / "ground"
    home = mount / "home"
    enrol = ["enrol", "--platform", reference.url, "--device-id", "win-03"]
    steps = [
        ["copy", str(enrolled)],
        ["python", FULL],  # the desk's 受理, the disk filling under it
        *full(["clerk", "case", "import", str(_paper(tmp_path, "paper-1"))]),
        *full(["clerk", "sync"]),
        *full(["clerk", "db", "backup", str(home / "copy.db")]),
        *full(["clerk", "backup", "create", str(mount / "backups")]),
        *full(["clerk", "config", "set", "voice.engine", "none"]),
        *full(["clerk", *enrol, "--token-file", str(reference.token_file)]),
        *full(["clerk", "case", "list"]),  # what only reads still works
        *full(["clerk", "db", "check"]),
        ["free"],
        ["clerk", "db", "check"],
        ["python", "import os; print(sorted(os.listdir(os.environ['CLERK_HOME'])))"],
        ["clerk", "case", "import", str(_paper(tmp_path, "paper-2"))],
        ["clerk", "sync"],
        ["keep", str(tmp_path / "after")],
    ]
    desk, imported, synced, db_backup, backup, config_set, enrolling, listed, checked, *after = (
        on_tiny_disk(mount, steps)
    )
    assert desk["out"].strip().startswith("磁盘已满"), desk
    for refused in (imported, db_backup, backup, config_set, enrolling):
        _refused(refused, "磁盘已满")
    _refused(synced, "磁盘")
    _works(listed, "330212105-03-")
    _works(checked, "数据库正常")
    checked_again, listing, imported_again, synced_again = after
    _works(checked_again, "数据库正常")
    files = set(json.loads(listing["out"].replace("'", '"')))
    assert not [f for f in files if f == "copy.db" or f.endswith((".tmp", ".partial"))], files
    _works(imported_again, "已补录 1 件")
    _works(synced_again)
    kept_home = tmp_path / "after"
    assert (token.read_bytes(), conf.read_bytes()) == kept  # the copy on good ground
    assert (
        (kept_home / "platform.token").read_bytes(),
        (kept_home / "clerk.toml").read_bytes(),
    ) == kept
    assert len(_cases(kept_home)) == 2  # the first case and paper-2: nothing from the full disk
    assert reference.store.stats()["ops"] == 2


def test_a_read_only_mount(tmp_path, enrolled: Path, reference: Reference):
    _prepared(enrolled)
    outside = tmp_path / "outside"
    outside.mkdir()
    mount = tmp_path / "ground"
    steps = [
        ["copy", str(enrolled)],
        ["python", READ_ONLY],  # the desk's 受理 on a mount gone read-only
        ["clerk", "case", "list"],
        ["clerk", "case", "list", "--json"],
        ["clerk", "db", "check"],
        ["clerk", "sync", "status"],
        ["clerk", "db", "backup", str(outside / "copy.db")],
        ["clerk", "backup", "create", str(outside)],
        ["clerk", "case", "import", str(_paper(tmp_path, "paper-1"))],
        ["clerk", "sync"],
        ["clerk", "config", "set", "voice.engine", "none"],
        ["rw"],
        ["clerk", "db", "check"],
    ]
    desk, listed, shown, checked, status, db_backup, backup, *writes, checked_again = on_tiny_disk(
        mount, steps
    )
    assert desk["out"].strip().startswith("只读文件系统"), desk
    _works(listed, "330212105-03-")
    _works(checked, "数据库正常")
    _works(status)
    _works(db_backup, "已备份")
    _works(backup, "已备份")
    for refused in writes:
        _refused(refused, "只读")
    _works(checked_again, "数据库正常")
    assert len(json.loads(shown["out"])) == 1
    assert len(_cases_in(outside / "copy.db")) == 1


def test_a_file_size_limit(tmp_path, enrolled: Path):
    """EFBIG, on any machine: a process whose files may not grow past 8 KiB."""
    _prepared(enrolled)

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192))

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for args in (
        ["case", "import", str(_paper(tmp_path, "paper-1"))],
        ["db", "backup", str(tmp_path / "copy.db")],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "clerk", "--home", str(enrolled), *args],
            capture_output=True,
            text=True,
            env=env,
            preexec_fn=limited,
        )
        _refused({"code": done.returncode, "out": done.stdout, "err": done.stderr}, "")
    assert not (tmp_path / "copy.db").exists()
    assert "数据库正常" in cli(enrolled, "db", "check")
    assert len(_cases(enrolled)) == 1


def test_init_on_a_full_disk_leaves_nothing_to_trip_over(tmp_path):
    """A first set-up that meets a full disk writes no half configuration: once there is
    room, the same `clerk init` simply works."""
    init = {"do": ["clerk", *INIT], "input": "0000\n"}
    listing = "import os; print(sorted(os.listdir(os.environ['CLERK_HOME'])))"
    steps = [["fill"], init, ["python", listing], ["free"], init, ["clerk", "db", "check"]]
    refused, left, again, checked = on_tiny_disk(tmp_path / "ground", steps)
    _refused(refused, "磁盘已满")
    assert json.loads(left["out"].replace("'", '"')) == ["logs"], left
    _works(again, "已初始化")
    _works(checked, "数据库正常")
