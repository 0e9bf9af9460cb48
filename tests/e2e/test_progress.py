"""The progress line of long commands, as an admin sees it: `clerk` run on a real pty, its
bytes played onto a screen (carriage return, erase to end of line). On a terminal the line
counts up and is gone when the result is printed; with `--json`, or with stderr not a
terminal (cron, systemd, a pipe), there is no trace of it."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from offline.catalog import demo_catalog
from tests.conftest import INIT, cli
from tests.unit.test_backfill import line
from tests.unit.test_cli_json import enrolled

ERASE = "\r\x1b[K"


def on_terminal(home: Path, *args: str) -> tuple[int, str]:
    """`clerk --home HOME ARGS` with stdin, stdout and stderr on one pty; its exit code and
    every byte it wrote there, as text."""
    main, other = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "clerk", "--home", str(home), *args],
        stdin=other,
        stdout=other,
        stderr=other,
        env=os.environ | {"COLUMNS": "100"},
    )
    os.close(other)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # EIO: the other side is closed, the process has ended
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    return process.wait(timeout=120), b"".join(chunks).decode("utf-8")


def screen(raw: str) -> list[str]:
    """The lines a terminal shows after `raw`: `\\r` goes back to the line's start,
    `ESC [K` erases from there to its end, `\\n` starts the next line."""
    lines: list[str] = []
    for text in raw.replace("\r\n", "\n").split("\n"):
        shown = ""
        for part in text.split(ERASE):
            shown = part  # an erase after `\r` leaves only what follows it
        lines.append(shown.rsplit("\r", 1)[-1])
    return [shown for shown in lines if shown]


@pytest.fixture
def home(tmp_path):
    home = tmp_path / "home"
    cli(home, *INIT)
    return home


@pytest.fixture
def county_catalog(tmp_path) -> tuple[Path, int]:
    """A county's catalog: the demo items many times over, as new codes (pinyin keys for
    each make the import take a while)."""
    demo = demo_catalog()
    items = [
        item.model_copy(update={"code": f"{item.code}-{n:03d}"}).model_dump(mode="json")
        for n in range(60)
        for item in demo.items
    ]
    path = tmp_path / "county.json"
    path.write_text(json.dumps({"version": "2026.12", "items": items}, ensure_ascii=False))
    return path, len(items)


def test_catalog_import_counts_up_on_a_terminal_and_leaves_only_its_result(home, county_catalog):
    path, count = county_catalog
    code, raw = on_terminal(home, "catalog", "import", str(path))
    assert code == 0, raw
    assert f"{ERASE}整理事项 1/{count}" in raw and f"{ERASE}整理事项 {count}/{count}" in raw
    assert screen(raw) == [f"已导入 {count} 个事项（目录版本 2026.12）"], screen(raw)


def test_no_progress_with_json_or_off_a_terminal(home, county_catalog):
    path, count = county_catalog
    code, raw = on_terminal(home, "catalog", "import", str(path), "--json")
    assert code == 0 and "整理事项" not in raw and "\x1b" not in raw, raw
    assert json.loads(raw)["items"] == count
    done = subprocess.run(
        [sys.executable, "-m", "clerk", "--home", str(home), "catalog", "import", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    assert done.stdout == f"已导入 {count} 个事项（目录版本 2026.12）\n"


def test_case_import_and_db_backup_on_a_terminal(home, tmp_path):
    paper = tmp_path / "paper.jsonl"
    paper.write_text("".join(line(f"登记簿第{n}行") + "\n" for n in range(1, 121)), "utf-8")
    code, raw = on_terminal(home, "case", "import", str(paper))
    assert code == 0, raw
    assert f"{ERASE}检查行 1/120" in raw and f"{ERASE}写入办件 120/120" in raw
    shown = screen(raw)
    assert shown[0] == "已补录 120 件，已存在跳过 0 件" and len(shown) == 121, shown[:3]

    code, raw = on_terminal(home, "db", "backup", str(tmp_path / "copy.db"))
    assert code == 0, raw
    assert f"{ERASE}复制数据库（页） " in raw
    [result] = screen(raw)
    assert result.startswith(f"已备份到 {tmp_path / 'copy.db'}"), raw


def test_sync_counts_the_operations_it_sends(home, tmp_path):
    with enrolled(home, tmp_path, 40) as platform:
        code, raw = on_terminal(home, "sync")
        assert code == 0, raw
        assert f"{ERASE}上报操作 40/40，附件 0.0 MB" in raw, raw
        [summary] = screen(raw)
        assert summary.startswith("上报 40 条：新确认 40"), raw
        platform.advance()  # the back office moves all 40 on: the next sync pulls them
        code, raw = on_terminal(home, "sync")
        assert code == 0 and f"{ERASE}上报操作 0/0，附件 0.0 MB，取回变更 40 条" in raw, raw
        assert screen(raw)[0].startswith("上报 0 条") and "取回变更 40 条" in screen(raw)[0]
        code, raw = on_terminal(home, "sync", "--json")
        assert "上报操作" not in raw and json.loads(raw)["exit_code"] == 0


def test_backup_create_and_restore_on_a_terminal(home, tmp_path):
    scans = home / "blobs" / "ab"
    scans.mkdir(parents=True)
    for n in range(30):
        (scans / f"scan-{n:02d}.jpg").write_bytes(os.urandom(20_000))
    code, raw = on_terminal(home, "backup", "create", str(tmp_path / "backups"))
    assert code == 0, raw
    for stage in ("复制文件 30/30", "计算校验和 ", "写入备份 "):
        assert f"{ERASE}{stage}" in raw, (stage, raw)
    [result] = screen(raw)
    assert result.startswith("已备份 ") and "个文件到" in result, raw
    [archive] = (tmp_path / "backups").glob("clerk-backup-*.tar")

    code, raw = on_terminal(tmp_path / "elsewhere", "backup", "restore", str(archive))
    assert code == 0, raw
    assert f"{ERASE}校验文件 " in raw
    assert screen(raw)[0].startswith("已恢复 "), screen(raw)
    assert all("校验文件" not in shown for shown in screen(raw))


def test_a_failure_midway_leaves_only_its_error(home, tmp_path):
    paper = tmp_path / "paper.jsonl"
    good = "".join(line(f"第{n}行") + "\n" for n in range(1, 100))
    paper.write_text(good + line("x", id_number="330212198001011239") + "\n", "utf-8")
    code, raw = on_terminal(home, "case", "import", str(paper))
    assert code == 1 and f"{ERASE}检查行 1/100" in raw, raw
    assert screen(raw) == [
        "错误：第100行：applicant：身份证号码校验位错误，请核对号码（整个文件未导入）"
    ]
