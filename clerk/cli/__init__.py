"""`clerk`: the admin's command line. Textual is imported only by the commands that need it,
so this runs from cron or systemd on a machine without a terminal.

Each subcommand's module is imported only when that command runs: `clerk --help` lists the
commands from `COMMANDS` below without loading any of them, so it starts about as quickly as
click itself, and `clerk sync status` loads the sync commands and nothing else.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from clerk import __version__
from clerk.cli.base import ClerkGroup

# Top-level command -> (module that defines it under the same name, its one-line help).
# The help is what `clerk --help` shows without importing the module; a test keeps it equal
# to the command's own first docstring line.
COMMANDS: dict[str, tuple[str, str]] = {
    "audit": ("clerk.cli.audit", "审计日志。"),
    "backup": (
        "clerk.cli.backup",
        "备份与恢复：数据库、扫描件、打印队列、配置、令牌和叫号库，一个带校验清单的文件。",
    ),
    "case": ("clerk.cli.cases", "办件查询。"),
    "catalog": ("clerk.cli.catalog", "事项目录。"),
    "config": ("clerk.cli.settings", "检查、查看和修改配置文件 clerk.toml。"),
    "db": ("clerk.cli.db", "数据库维护。"),
    "demo": (
        "clerk.cli.setup",
        "演示：模拟设备、本机参考平台、内置叫号队列和演示事项目录，直接进入窗口界面。",
    ),
    "desk": ("clerk.cli.desk", "启动窗口办件界面（工号 + PIN 登录）。"),
    "device": ("clerk.cli.devices", "读卡器、打印机等外设。"),
    "enrol": ("clerk.cli.sync", "把本机登记到平台。"),
    "hall": ("clerk.cli.hall", "大厅叫号：取号、叫号、状态和报表。"),
    "init": (
        "clerk.cli.setup",
        "初始化本机：写入配置、建立数据库、创建首个管理员（PIN在终端输入两次）。",
    ),
    "platform": ("clerk.cli.platform", "参考平台（仅用于开发、演示和测试，不是正式平台）。"),
    "report": ("clerk.cli.report", "统计报表。"),
    "sync": ("clerk.cli.sync", "与平台同步一次：上报办件，取回办理结果。"),
    "user": ("clerk.cli.users", "窗口人员与管理员。"),
}


class LazyGroup(ClerkGroup):
    """A group whose subcommands are imported on first use, named in `COMMANDS`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.group_class = ClerkGroup

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module = importlib.import_module(COMMANDS[cmd_name][0])
            self.add_command(getattr(module, cmd_name), cmd_name)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from `COMMANDS`, so help imports no subcommand."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = [(name, _short_help(self, name, limit)) for name in names]
        with formatter.section("命令"):
            formatter.write_dl(rows)


def _short_help(group: click.Group, name: str, limit: int) -> str:
    if name in group.commands:
        return group.commands[name].get_short_help_str(limit)
    # click's own shortening, on a bare command that carries the registry's help only
    return click.Command(name, help=COMMANDS[name][1]).get_short_help_str(limit)


@click.group(cls=LazyGroup, name="clerk")
@click.option(
    "--home",
    type=click.Path(file_okay=False),
    envvar="CLERK_HOME",
    help="数据目录（默认取环境变量 CLERK_HOME，否则为系统用户数据目录）",
)
@click.version_option(
    __version__, "--version", message="window-clerk %(version)s", help="显示版本并退出"
)
def main(home: str | None) -> None:
    """便民服务中心窗口客户端：初始化、人员、事项目录、办件与数据库管理。"""
    import os

    from clerk import configfile, logs

    os.umask(0o077)  # whatever this process writes is its owner's only
    where = configfile.resolve_home(home)
    log = configfile.checked(where)["log"]  # validated, without pydantic when unchanged
    logs.setup(where, log["level"], log["max_bytes"], log["backups"])


def load_all() -> list[Any]:
    """Every top-level command, imported (for tests and tools that walk the whole tree)."""
    ctx = click.Context(main)
    return [main.get_command(ctx, name) for name in main.list_commands(ctx)]
