"""Rule 13: one error base for what a person may see; every other exception is a bug, logged
with its traceback (personal data masked) and shown as 系统内部错误 once."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from clerk import logs
from clerk.cli.base import ClerkGroup
from clerk.configfile import ConfigError
from clerk.errors import INTERNAL, explain
from clerk.hall.client import HallError
from devices.errors import CardReadError, DeviceError
from offline.clerks import AuthError
from offline.db import TargetExists
from offline.intake import IntakeError
from offline.queue import QueueError
from offline.sync import SyncError
from offline.sync_lock import SyncBusy
from usererror import UserError

ZHANG = "330212198001011238"


@pytest.mark.parametrize(
    "kind",
    [DeviceError, SyncError, HallError, QueueError, AuthError, IntakeError, ConfigError, SyncBusy],
)
def test_the_errors_a_person_sees_share_one_base(kind: type[Exception]) -> None:
    assert issubclass(kind, UserError)


def test_a_user_error_is_its_chinese_line_and_not_logged(tmp_path, caplog) -> None:
    assert explain(CardReadError()) == "读卡失败，请将证件重新放到读卡器上"
    assert explain(TargetExists("目标文件已存在：/tmp/x")) == "目标文件已存在：/tmp/x"
    assert not [r for r in caplog.records if r.name == "clerk.errors"]


def test_a_bug_is_internal_error_and_its_traceback_is_logged_masked(tmp_path) -> None:
    log_file = logs.setup(tmp_path)
    people: dict[str, str] = {}
    try:
        people[f"no such person {ZHANG}"]
    except KeyError as error:
        shown = explain(error)
    assert shown == INTERNAL == "操作未完成：系统内部错误，已记入日志，请联系管理员"
    logged = log_file.read_text("utf-8")
    assert logged.count("Traceback") == 1 and "KeyError" in logged
    assert ZHANG not in logged and "3302**********1238" in logged


@click.group(cls=ClerkGroup)
def clerk_like() -> None:
    """测试。"""


@clerk_like.command()
def broken() -> None:
    """一个有缺陷的命令。"""
    raise KeyError(f"no such person {ZHANG}")


@clerk_like.command()
def refused() -> None:
    """一个被拒绝的操作。"""
    raise QueueError("该窗口已暂停服务")


def test_the_cli_shows_the_same_words_once(tmp_path) -> None:
    log_file = logs.setup(tmp_path)
    runner = CliRunner()
    result = runner.invoke(clerk_like, ["refused"])
    assert result.exit_code == 1 and result.output == "错误：该窗口已暂停服务\n"
    result = runner.invoke(clerk_like, ["broken"])
    assert (
        result.exit_code == 1 and result.output == f"错误：{INTERNAL}\n"
    )  # once, without the bug's own text
    logged = log_file.read_text("utf-8")
    assert "Traceback" in logged and "unexpected error in clerk-like" in logged
    assert ZHANG not in logged
