"""`clerk`: the admin's command line. Textual is imported only by the commands that need it,
so this runs from cron or systemd on a machine without a terminal."""

from __future__ import annotations

import click

from clerk import __version__, config, logs
from clerk.cli.base import ClerkGroup


@click.group(cls=ClerkGroup, name="clerk")
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
    where = config.resolve_home(home)
    settings = config.load(where)
    logs.setup(where, settings.log.level, settings.log.max_bytes, settings.log.backups)


def _register() -> None:
    from clerk.cli import (
        audit,
        cases,
        catalog,
        db,
        desk,
        devices,
        hall,
        platform,
        setup,
        sync,
        users,
    )

    for module in (setup, desk, users, catalog, cases, db, audit, devices, sync, platform, hall):
        for command in module.COMMANDS:
            main.add_command(command)


_register()
