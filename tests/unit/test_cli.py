"""The admin CLI end to end on a real data directory: every command, JSON output, errors."""

from __future__ import annotations

import json
import logging
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from clerk.cli import main
from tests.conftest import INIT, cli


@pytest.fixture
def clerk(tmp_path):
    runner = CliRunner()
    home = tmp_path / "home"

    def run(*args: str, code: int = 0, input: str | None = None) -> str:
        if input is None and args and args[0] == "init":
            input = "0000\n"
        result = runner.invoke(main, ["--home", str(home), *args], input=input)
        assert result.exit_code == code, result.output
        assert "Traceback" not in result.output
        return result.output

    return Clerk(run, home)


class Clerk:
    """`clerk ...` in a CliRunner against one home directory (`.home`)."""

    def __init__(self, run: Callable[..., str], home: Path) -> None:
        self.run, self.home = run, home

    def __call__(self, *args: str, code: int = 0, input: str | None = None) -> str:
        return self.run(*args, code=code, input=input)


@pytest.fixture
def ready(clerk):
    clerk(*INIT)
    clerk(
        "demo", "--keep", str(clerk.home), "--no-desk"
    )  # adds demo clerks, catalog and sample cases
    return clerk


def test_uninitialised_home_says_what_to_do(clerk):
    assert "尚未初始化，请先运行 clerk init" in clerk("case", "list", code=1)


def test_init_once(clerk):
    out = clerk(*INIT)
    assert "已初始化：示范镇便民服务中心 3号窗口（综合服务）" in out
    assert "已初始化" in clerk(*INIT, code=1)
    assert "中心编码" in clerk("--home", str(clerk.home) + "x", *INIT[:2], "abc", *INIT[3:], code=1)


def test_users(ready):
    assert "已添加窗口人员 c0200 周敏" in ready(
        "user", "add", "--id", "c0200", "--name", "周敏", "--pin-stdin", input="2468\n"
    )
    users = json.loads(ready("user", "list", "--json"))
    assert {u["clerk_id"] for u in users} >= {"admin", "c0107", "c0200"}
    assert all("pin" not in json.dumps(u).lower() for u in users)
    assert "已重设" in ready("user", "passwd", "--id", "c0200", "--pin-stdin", input="1357\n")
    assert "已停用" in ready("user", "disable", "--id", "c0200")
    assert "已停用" in ready("user", "list")
    assert "已启用" in ready("user", "enable", "--id", "c0200")
    assert "PIN须为4至12位数字" in ready(
        "user", "passwd", "--id", "c0200", "--pin-stdin", input="x\n", code=1
    )
    assert "不存在" in ready("user", "disable", "--id", "ghost", code=1)


def test_last_admin_cannot_be_disabled(clerk):
    clerk(*INIT)
    assert "最后一个管理员" in clerk("user", "disable", "--id", "admin", code=1)


def test_catalog(ready, tmp_path):
    items = json.loads(ready("catalog", "list", "--json"))
    assert len(items) == 33
    assert "城乡居民基本养老保险参保登记" in ready("catalog", "search", "ylbx")
    found = json.loads(ready("catalog", "search", "ylbx", "--kind", "social_security", "--json"))
    assert "330212105-GG-0012" in [i["code"] for i in found]
    out = ready("catalog", "show", "330212105-GG-0012")
    assert "承诺时限：8个工作日" in out and "户口簿" in out and "容缺" in out
    assert json.loads(ready("catalog", "show", "330212105-GG-0012", "--json"))["version"] == 1
    path = tmp_path / "cat.json"
    path.write_text(json.dumps({"version": "v9", "items": [items[0] | {"version": 2}]}), "utf-8")
    assert "已导入 1 个事项（目录版本 v9）" in ready("catalog", "import", str(path))
    path.write_text(json.dumps([items[0] | {"case_type": "sometimes"}]), "utf-8")
    assert "数据格式错误（items.0.case_type）" in ready("catalog", "import", str(path), code=1)
    assert "二者选一" in ready("catalog", "import", code=1)
    assert "不存在" in ready("catalog", "show", "nope", code=1)


def test_cases_are_masked_unless_full_which_is_audited(ready):
    out = ready("case", "list")
    assert "3302**********1238" in out and "330212198001011238" not in out
    assert "容缺受理" in out and "不予受理" in out
    cases = json.loads(ready("case", "list", "--json"))
    assert len(cases) == 6  # three samples and a 一件事 of three
    assert cases[0]["payload"]["applicant"]["id_number"] == "3302**********4517"
    [local_no] = [c["payload"]["local_no"] for c in cases if c["payload"]["ticket"] == "C001"]
    shown = json.loads(ready("case", "show", local_no, "--json"))
    assert shown["operations"][0]["type"] == "case.accept"
    assert "3302**********1238" in ready("case", "show", local_no)
    assert "330212198001011238" in ready("case", "show", local_no, "--full")
    audit = json.loads(ready("audit", "list", "--limit", "1", "--json"))
    assert audit[0]["action"] == "case.reveal"
    filtered = json.loads(ready("case", "list", "--status", "refused", "--json"))
    assert [c["status"] for c in filtered] == ["refused"]
    assert json.loads(ready("case", "list", "--text", "赵", "--json"))[0]["status"] == (
        "accepted_missing"
    )
    assert json.loads(ready("case", "list", "--to", "2020-01-01", "--json")) == []
    assert "没有找到办件" in ready("case", "show", "nope", code=1)


def test_case_show_takes_the_serial_alone_as_clerks_say_it(ready):
    cases = json.loads(ready("case", "list", "--json"))
    [local_no] = [c["payload"]["local_no"] for c in cases if c["payload"]["ticket"] == "C001"]
    serial = local_no.rsplit("-", 1)[1]
    assert json.loads(ready("case", "show", serial, "--json"))["payload"]["local_no"] == local_no
    assert local_no in ready("case", "show", serial.lstrip("0"))
    assert "没有找到办件 9999" in ready("case", "show", "9999", code=1)


def test_db_check_backup_verify_and_tampering(ready, tmp_path):
    assert "数据库正常" in ready("db", "check")
    assert "已备份到" in ready("db", "backup", str(tmp_path / "b.db"))
    assert "目标文件已存在" in ready("db", "backup", str(tmp_path / "b.db"), code=1)
    assert "审计日志完好" in ready("db", "verify")
    conn = sqlite3.connect(ready.home / "clerk.db")
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("UPDATE audit_log SET action = 'login' WHERE id = 6")
    conn.commit()
    conn.close()
    out = ready("db", "verify", code=1)
    assert "审计日志被篡改：第6条记录，记录内容被修改（此前 5 条完好）" in out


def test_usage_errors_are_chinese_one_liners(ready):
    out = ready("user", "add", "--id", "x", code=1)
    assert (
        out.startswith("用法错误：缺少选项 '--name'")
        and "（运行 clerk user add --help 查看用法）" in out
    )
    assert "用法错误：没有此命令" in ready("frobnicate", code=1)
    help_text = ready("user", "add", "--help")
    assert "用法：" in help_text and "选项：" in help_text and "显示此帮助并退出" in help_text
    assert "[必填]" in help_text and "required" not in help_text
    listing = ready("case", "list", "--help")
    assert "[默认：50; 1<=x<=1000]" in listing and "default" not in listing


def test_real_process_exit_codes_and_no_traceback(tmp_path):
    env_home = ["--home", str(tmp_path / "h")]

    def run(*a):
        return subprocess.run(
            [sys.executable, "-m", "clerk", *env_home, *a],
            input="0000\n",
            capture_output=True,
            text=True,
        )

    bad = run("db", "check")
    assert bad.returncode == 1 and bad.stderr.startswith("错误：") and "Traceback" not in bad.stderr
    assert bad.stderr.count("\n") == 1
    assert run(*INIT).returncode == 0
    assert run("--version").stdout.strip() == "window-clerk 0.1.0"


def test_pins_are_never_arguments(ready):
    assert "--pin-stdin" in ready("user", "passwd", "--id", "c0107", "--pin", "1", code=1)
    assert "--pin-stdin" in ready("user", "passwd", "--id", "c0107", code=1)  # no terminal
    assert "PIN须为4至12位数字" in ready(
        "user", "add", "--id", "c0201", "--name", "吴", "--pin-stdin", input="12\n", code=1
    )
    assert "没有读到PIN" in ready(
        "user", "add", "--id", "c0201", "--name", "吴", "--pin-stdin", code=1
    )


def test_init_takes_the_windows_own_clerk(clerk):
    clerk(*INIT)
    assert 'clerk = "c0107"' in (clerk.home / "clerk.toml").read_text()


def test_data_directory_is_owner_only_and_db_check_mends_it(tmp_path):
    home = tmp_path / "new" / "home"
    cli(home, *INIT)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    everything = [home, *home.rglob("*")]
    assert all(stat.S_IMODE(p.stat().st_mode) & 0o077 == 0 for p in everything), [
        (p, oct(p.stat().st_mode)) for p in everything
    ]
    home.chmod(0o755)
    (home / "clerk.toml").chmod(0o644)
    (home / "logs" / "clerk.log.1").write_text("old\n")
    (home / "logs" / "clerk.log.1").chmod(0o644)
    report = json.loads(cli(home, "db", "check", "--json", code=1))
    assert len(report["problems"]) == 3 and "clerk.toml 权限为 644，应为 600" in "".join(
        report["problems"]
    )
    assert "已修正" in cli(home, "db", "check", "--fix")
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert json.loads(cli(home, "db", "check", "--json"))["ok"]


def test_a_rotated_log_is_owner_only(tmp_path):
    from clerk import logs

    path = logs.setup(tmp_path / "h", max_bytes=200, backups=2)
    for n in range(20):
        logging.getLogger("clerk.test").warning("line %d %s", n, "x" * 50)
    rotated = list(path.parent.glob("clerk.log*"))
    assert len(rotated) == 3
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in rotated)
    logs.setup(tmp_path / "other")  # let go of the file


def test_audit_and_case_show_name_every_code_in_chinese(ready):
    import re
    import typing

    from offline.models import OpState, OpType
    from offline.vocabulary import ACTION_NAMES, OP_STATE_NAMES

    assert set(typing.get_args(OpType)) <= set(ACTION_NAMES)
    assert set(typing.get_args(OpState)) <= set(OP_STATE_NAMES)
    local_no = json.loads(ready("case", "list", "--json"))[-1]["payload"]["local_no"]
    shown = ready("case", "show", local_no, "--full")
    assert "正式编号" in shown and "统一编号" not in shown
    assert "受理" in shown and "待上报" in shown
    listing = ready("audit", "list", "--limit", "200")
    assert "查看完整证件号码" in listing and "命令行（" in listing
    codes = re.compile(r"\b[a-z_]+\.[a-z_.]+\b|\backed\b|\bpending\b")
    assert not codes.findall(shown + listing), codes.findall(shown + listing)
