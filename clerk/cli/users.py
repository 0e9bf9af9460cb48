"""`clerk user`: add, list, change PIN, disable and enable clerks."""

from __future__ import annotations

import click

from clerk.cli.base import (
    PIN_STDIN,
    ClerkGroup,
    actor,
    echo_json,
    echo_table,
    fail,
    pass_services,
    read_pin,
)
from clerk.services import Services
from offline.models import ROLE_NAMES, Clerk


@click.group(cls=ClerkGroup)
def user() -> None:
    """窗口人员与管理员。"""


@user.command()
@click.option("--id", "clerk_id", required=True, help="工号")
@click.option("--name", required=True, help="姓名")
@click.option(
    "--role",
    type=click.Choice(["clerk", "admin"]),
    default="clerk",
    show_default=True,
    help="角色：clerk（窗口人员）或 admin（管理员）",
)
@PIN_STDIN
@pass_services
def add(services: Services, clerk_id: str, name: str, role: str, pin_stdin: bool) -> None:
    """添加人员（PIN在终端输入两次，或用 --pin-stdin）。"""
    pin = read_pin(pin_stdin)
    clerk = Clerk.model_validate({"clerk_id": clerk_id, "name": name, "role": role})
    services.store.add_clerk(clerk, pin, by=actor())
    click.echo(f"已添加{ROLE_NAMES[role]} {clerk_id} {name}")


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="以JSON输出")
@pass_services
def list_(services: Services, as_json: bool) -> None:
    """列出全部人员。"""
    clerks = services.store.clerks()
    if as_json:
        echo_json([c.model_dump(mode="json") for c in clerks])
        return
    echo_table(
        ["工号", "姓名", "角色", "状态"],
        [(c.clerk_id, c.name, ROLE_NAMES[c.role], _state(c)) for c in clerks],
    )


def _state(clerk: Clerk) -> str:
    if clerk.disabled:
        return "已停用"
    return f"锁定至 {clerk.locked_until:%H:%M}" if clerk.locked_until else "正常"


@user.command()
@click.option("--id", "clerk_id", required=True, help="工号")
@PIN_STDIN
@pass_services
def passwd(services: Services, clerk_id: str, pin_stdin: bool) -> None:
    """重设PIN（同时解除锁定）；新PIN在终端输入两次，或用 --pin-stdin。"""
    pin = read_pin(pin_stdin, "新PIN")
    services.store.set_pin(clerk_id, pin, by=actor())
    click.echo(f"已重设 {clerk_id} 的PIN")


def _toggle(services: Services, clerk_id: str, disabled: bool) -> None:
    clerk = services.store.clerk(clerk_id)
    if clerk is None:
        fail(f"工号 {clerk_id} 不存在")
    if disabled and clerk.role == "admin":
        admins = [c for c in services.store.clerks() if c.role == "admin" and not c.disabled]
        if len(admins) == 1:
            fail("不能停用最后一个管理员")
    services.store.set_disabled(clerk_id, disabled, by=actor())
    click.echo(f"已{'停用' if disabled else '启用'} {clerk_id} {clerk.name}")


@user.command()
@click.option("--id", "clerk_id", required=True, help="工号")
@pass_services
def disable(services: Services, clerk_id: str) -> None:
    """停用人员（记录保留，不能再登录）。"""
    _toggle(services, clerk_id, True)


@user.command()
@click.option("--id", "clerk_id", required=True, help="工号")
@pass_services
def enable(services: Services, clerk_id: str) -> None:
    """重新启用已停用的人员。"""
    _toggle(services, clerk_id, False)
