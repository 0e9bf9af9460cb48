"""`clerk init` and `clerk demo`: set up a window machine, or a demo of one."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import click

from clerk import config
from clerk import demo as demo_data
from clerk.cli.base import (
    PIN_STDIN,
    ClerkCommand,
    NamedChoice,
    actor,
    echo_table,
    fail,
    home_of,
    read_pin,
    services,
)
from clerk.cli.desk import run_desk
from offline.catalog import demo_catalog
from offline.clerks import check_pin_rules
from offline.models import ROLE_NAMES, WINDOW_KIND_NAMES, Clerk

KINDS = NamedChoice(WINDOW_KIND_NAMES)


@click.command(cls=ClerkCommand)
@click.option("--centre-code", required=True, help="便民服务中心编码，如 330212105")
@click.option("--centre-name", required=True, help="便民服务中心名称")
@click.option("--centre-phone", default="", help="咨询电话（印在回执上）")
@click.option("--window", "window_no", type=click.IntRange(1, 99), required=True, help="本机窗口号")
@click.option(
    "--window-kind",
    type=KINDS,
    required=True,
    help="窗口类型：" + "、".join(f"{k}（{v}）" for k, v in WINDOW_KIND_NAMES.items()),
)
@click.option("--admin", "admin_id", required=True, help="首个管理员的工号")
@click.option("--admin-name", default="管理员", help="首个管理员的姓名")
@PIN_STDIN
@click.option(
    "--window-clerk",
    required=True,
    help="本窗口A岗人员的工号（其他人员登录即为AB岗顶岗；人员用 clerk user add 添加）",
)
@click.option(
    "--demo-catalog", "with_demo_catalog", is_flag=True, help="同时导入内置的演示事项目录"
)
@click.pass_context
def init(
    ctx: click.Context,
    centre_code: str,
    centre_name: str,
    centre_phone: str,
    window_no: int,
    window_kind: str,
    admin_id: str,
    admin_name: str,
    pin_stdin: bool,
    window_clerk: str,
    with_demo_catalog: bool,
) -> None:
    """初始化本机：写入配置、建立数据库、创建首个管理员（PIN在终端输入两次）。"""
    home = home_of(ctx)
    if config.load(home).initialised:
        fail(f"数据目录 {home} 已初始化；如需修改请编辑 {home / config.CONFIG_FILE}")
    if not (centre_code.isdigit() and 6 <= len(centre_code) <= 12):
        fail("中心编码应为6至12位数字")
    pin = read_pin(pin_stdin, "首个管理员的PIN")
    check_pin_rules(pin)
    setup_home(home, centre_code, centre_name, centre_phone, window_no, window_kind, window_clerk)
    store = services(ctx).store
    store.add_clerk(Clerk(clerk_id=admin_id, name=admin_name, role="admin"), pin, by=actor())
    if with_demo_catalog:
        store.import_catalog(demo_catalog(), by=actor())
    store.audit(actor(), "machine.init", centre_code, {"window_no": window_no})
    click.echo(f"已初始化：{centre_name} {window_no}号窗口（{WINDOW_KIND_NAMES[window_kind]}）")
    click.echo(f"数据目录：{home}")


def setup_home(
    home: Path,
    code: str,
    name: str,
    phone: str,
    window_no: int,
    window_kind: str,
    window_clerk: str = "",
) -> None:
    settings = config.Settings(
        centre=config.CentreSection(code=code, name=name, phone=phone),
        window=config.WindowSection(no=window_no, kind=window_kind, clerk=window_clerk),
    )
    config.save(home, settings)


@click.command(cls=ClerkCommand)
@click.option(
    "--keep",
    type=click.Path(file_okay=False),
    default=None,
    help="演示数据目录（默认新建临时目录）",
)
@click.option("--no-desk", is_flag=True, help="只准备演示数据，不启动窗口界面")
@click.pass_context
def demo(ctx: click.Context, keep: str | None, no_desk: bool) -> None:
    """演示：模拟设备、本机参考平台、内置叫号队列和演示事项目录，直接进入窗口界面。"""
    home = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="clerk-demo-"))
    if not config.load(home).initialised:
        setup_home(
            home, **demo_data.CENTRE, window_no=demo_data.WINDOW["no"], window_kind="general"
        )
        settings = config.load(home)
        settings.window.clerk = demo_data.WINDOW["clerk"]
        demo_data.simulate_devices(settings, home)
        settings.platform.sync_interval = 10
        config.save(home, settings)
    ctx.find_root().params["home"] = str(home)
    svc = services(ctx)
    store = svc.store
    demo_data.prepare(store, by=actor())
    kind = WINDOW_KIND_NAMES[demo_data.WINDOW["kind"]]
    click.echo(f"演示窗口已就绪：{demo_data.CENTRE['name']} {store.window_no}号窗口（{kind}）")
    click.echo(f"数据目录：{home}")
    click.echo("演示人员：")
    echo_table(
        ["工号", "姓名", "角色", "PIN"],
        [(i, n, ROLE_NAMES[r], p) for i, n, r, p in demo_data.CLERKS],
    )
    click.echo(
        f"事项目录 {len(store.items())} 项、一件事 {len(store.bundles())} 个，"
        f"示例办件 {len(demo_data.SAMPLES)} 件，另有新生儿出生一件事 1 组（邮寄送达）。"
    )
    if no_desk:
        command = _command()
        click.echo("接着可以试试：")
        click.echo(f"  export CLERK_HOME={home}")
        click.echo(f"  {command} catalog search ylbx")
        click.echo(f"  {command} case list")
        click.echo(f"  {command} report visits")
        return
    world = demo_data.DemoHall(home)
    try:
        world.enrol(svc.settings)
        config.save(home, svc.settings)
        world.start(svc.hall())
        also = f"\n取号机和叫号屏：另开终端 CLERK_HOME={home} {_command()} hall kiosk（或 board）"
        run_desk(svc, demo=True, hint=demo_data.LOGIN_HINT + also)
    finally:
        world.close()
    click.echo(f"演示结束。数据保留在 {home}")


def _command() -> str:
    """How to call this `clerk` again: its plain name when PATH finds this one, else its path."""
    me = Path(sys.argv[0]).resolve()
    on_path = shutil.which("clerk")
    if me.name == "clerk" and (on_path is None or Path(on_path).resolve() != me):
        return str(me)
    return "clerk"
