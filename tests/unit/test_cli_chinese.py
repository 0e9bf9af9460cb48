"""The CLI speaks Chinese: click's own messages through gettext, Chinese choices, one table of
exit codes."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import click
import pytest

from clerk.cli import i18n
from tests.conftest import INIT, cli


def _click_messages() -> set[str]:
    """Every message click marks for translation, read from its source."""
    found: set[str] = set()
    for source in Path(click.__file__).parent.glob("*.py"):
        if source.name == "_winconsole.py":  # Windows only
            continue
        for node in ast.walk(ast.parse(source.read_text("utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("_", "ngettext"):
                found |= {
                    a.value
                    for a in node.args
                    if isinstance(a, ast.Constant) and isinstance(a.value, str) and len(a.value) > 1
                }
    return found


def test_every_message_click_marks_has_a_chinese_translation():
    missing = _click_messages() - set(i18n.CATALOG)
    assert not missing, missing
    assert all(not text.isascii() for text in i18n.CATALOG.values())


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("chinese") / "home"
    cli(home, *INIT, input="0000\n")
    return home


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["user", "passwd", "--pin", "1"], "没有此选项：--pin"),
        (["case", "list", "--status", "待出件x"], "不在可选范围内"),
        (["case", "list", "--from", "2026/1/1"], "不是日期：应为 年-月-日"),
        (["case", "list", "--limit", "0"], "不在范围 1<=x<=1000"),
        (["catalog", "import", "/nonexistent.json"], "不存在"),
        (["case", "list", "--limit", "many"], "不是有效的整数"),
        (["frobnicate"], "没有此命令：frobnicate"),
        (["user", "add", "--id", "x"], "缺少选项 '--name'"),
    ],
)
def test_click_errors_are_chinese(home, args, expected):
    out = cli(home, *args, code=1)
    assert out.startswith("用法错误：") and expected in out, out
    assert not any(word in out for word in ("Error", "Invalid", "not", "No such", "Missing"))


@pytest.mark.parametrize(
    "command",
    [[], ["init"], ["demo"], ["desk"], ["enrol"], ["case"], ["case", "list"], ["config", "set"]],
)
def test_help_is_chinese(home, command):
    out = cli(home, *command, "--help")
    assert "用法：" in out and "显示此帮助并退出" in out
    for english in ("Usage:", "Options", "Commands", "Show this", "[required]", "default:"):
        assert english not in out, (english, out)


def test_status_and_kind_take_chinese_names(home):
    english = json.loads(cli(home, "case", "list", "--status", "accepted", "--json"))
    chinese = json.loads(cli(home, "case", "list", "--status", "已受理", "--json"))
    assert english == chinese
    items = json.loads(cli(home, "catalog", "list", "--kind", "社会保障", "--json"))
    assert items and items == json.loads(
        cli(home, "catalog", "list", "--kind", "social_security", "--json")
    )


def test_click_modules_loaded_after_install_are_translated_too():
    """The progress bar's, pager's and editor's module loads only when used; it still speaks
    Chinese (checked in a fresh interpreter, where it has not been loaded yet)."""
    import subprocess
    import sys

    probe = (
        "import sys, clerk.cli\n"
        "assert 'click._termui_impl' not in sys.modules\n"
        "import click._termui_impl as late\n"
        "print(late._('{editor}: Editing failed'))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "{editor}：编辑失败"
