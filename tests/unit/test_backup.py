"""Backup and restore of the whole data directory; no case number issued twice after."""

from __future__ import annotations

import json
import stat
import tarfile
from pathlib import Path

from offline.store import Store
from tests.conftest import INIT, cli, pension


def _home_with_cases(tmp_path, n=2):
    home = tmp_path / "home"
    cli(home, *INIT)
    (home / "blobs").mkdir()
    (home / "blobs" / "ab.pdf").write_bytes(b"%PDF-scan")
    (home / "platform.token").write_text("secret-token\n")
    store = Store(home / "clerk.db", centre_code="330212105", window_no=3)
    numbers = [store.accept(pension(), clerk_id="admin").local_no for _ in range(n)]
    store.close()
    return home, numbers


def test_backup_holds_everything_with_checksums(tmp_path):
    home, _ = _home_with_cases(tmp_path)
    out = json.loads(cli(home, "backup", "create", str(tmp_path / "b"), "--json"))
    archive = tmp_path / "b" / out["archive"].split("/")[-1]
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert {"clerk.db", "clerk.toml", "platform.token", "blobs/ab.pdf"} <= names
    assert set(manifest["files"]) == names - {"manifest.json"}
    assert all(len(meta["sha256"]) == 64 for meta in manifest["files"].values())


def test_restore_never_issues_a_number_twice(tmp_path):
    home, before = _home_with_cases(tmp_path)
    archive = json.loads(cli(home, "backup", "create", str(tmp_path / "b"), "--json"))["archive"]
    store = Store(home / "clerk.db", centre_code="330212105", window_no=3)
    after_backup = [store.accept(pension(), clerk_id="admin").local_no for _ in range(3)]
    store.close()  # ... and then the disk dies: these three exist only on paper and platform
    new = tmp_path / "new-pc"
    out = cli(new, "backup", "restore", archive)
    assert "已恢复" in out and "不会与丢失的机器重复" in out
    assert (new / "platform.token").read_text() == "secret-token\n"
    assert (new / "blobs" / "ab.pdf").read_bytes() == b"%PDF-scan"
    restored = Store(new / "clerk.db", centre_code="330212105", window_no=3)
    next_no = restored.accept(pension(), clerk_id="admin").local_no
    restored.close()
    issued = [*before, *after_backup]
    assert next_no not in issued and next_no.endswith("-1003")  # 3 before the backup + 1000
    assert "已有数据" in cli(new, "backup", "restore", archive, code=1)
    forced = json.loads(cli(new, "backup", "restore", archive, "--force", "--json"))
    assert forced["previous"]  # what was there was kept first


def test_a_damaged_archive_restores_nothing(tmp_path):
    home, _ = _home_with_cases(tmp_path)
    archive = json.loads(cli(home, "backup", "create", str(tmp_path / "b"), "--json"))["archive"]
    data = bytearray(Path(archive).read_bytes())
    at = data.find(b"%PDF-scan")
    data[at] ^= 0xFF
    bad = tmp_path / "bad.tar"
    bad.write_bytes(bytes(data))
    new = tmp_path / "new-pc"
    assert "校验和不符" in cli(new, "backup", "restore", str(bad), code=1)
    assert not (new / "clerk.db").exists()
    (tmp_path / "junk.tar").write_bytes(b"junk")
    assert "不是有效的备份文件" in cli(new, "backup", "restore", str(tmp_path / "junk.tar"), code=1)


def test_an_older_database_is_backed_up_before_it_is_migrated(tmp_path):
    from sqlite_utils import Database

    from offline.db import connect
    from offline.migrations import migrations

    home = tmp_path / "home"
    cli(home, *INIT)
    (home / "clerk.db").unlink()
    names = [m.name for m in migrations.pending(Database(connect(tmp_path / "empty.db")))]
    old = Database(connect(home / "clerk.db"))
    migrations.apply(old, stop_before=names[-1])  # as an older version left it
    old.close()
    report = json.loads(cli(home, "db", "migrate", "--json"))
    assert report["applied"] == [names[-1]]
    saved = Path(report["backup"])
    assert saved.parent == home / "backups" and saved.exists()
    with tarfile.open(saved) as tar:
        assert json.loads(tar.extractfile("manifest.json").read())["reason"] == "before-migration"
    assert "无需升级" in cli(home, "db", "migrate")
    log = (home / "logs" / "clerk.log").read_text("utf-8")
    assert "backed up first" in log


def test_db_verify_and_check_speak_json(tmp_path):
    home, _ = _home_with_cases(tmp_path)
    verified = json.loads(cli(home, "db", "verify", "--json"))
    assert verified["ok"] and verified["count"] >= 3 and verified["broken_at"] is None
    assert json.loads(cli(home, "db", "check", "--json"))["ok"]
