"""`clerk desk`: the window desk (Textual), on this machine's configuration."""

from __future__ import annotations

import sys

import click

from clerk.cli.base import ClerkCommand, fail, services
from clerk.services import Services


@click.command(cls=ClerkCommand)
@click.pass_context
def desk(ctx: click.Context) -> None:
    """启动窗口办件界面（工号 + PIN 登录）。"""
    run_desk(services(ctx))


def run_desk(svc: Services, *, demo: bool = False, hint: str = "") -> None:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        fail("窗口界面需要在终端中运行")
    from clerk.desk.app import DeskApp  # Textual only for the commands that show it
    from clerk.window import Desk

    DeskApp(Desk(svc), demo=demo, login_hint=hint).run()
