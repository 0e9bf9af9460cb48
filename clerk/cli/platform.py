"""`clerk platform`: the reference platform, for development, demos and tests only."""

from __future__ import annotations

import threading

import click

from clerk.cli.base import ClerkGroup, echo_json, fail
from offline.platform.server import PREFIX, build_app
from offline.platform.store import PlatformStore, WindowTaken
from offline.web import Limits, bind, run

DB = click.option("--db", required=True, type=click.Path(dir_okay=False), help="平台数据库文件")


@click.group(cls=ClerkGroup)
def platform() -> None:
    """参考平台（仅用于开发、演示和测试，不是正式平台）。"""


@platform.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址")
@click.option("--port", default=8700, show_default=True, type=int, help="监听端口")
@DB
@click.option(
    "--advance-every", type=float, default=0, help="每隔多少秒由模拟后台推进办件（0为不推进）"
)
def serve(host: str, port: int, db: str, advance_every: float) -> None:
    """启动参考平台。"""
    store = PlatformStore(db)
    sock = bind(host, port)
    click.echo(f"http://{host}:{sock.getsockname()[1]}{PREFIX}")
    click.echo("参考平台已启动（仅用于开发、演示和测试）", err=True)
    stop = threading.Event()

    def back_office() -> None:
        while not stop.wait(advance_every):
            store.advance()

    if advance_every > 0:
        threading.Thread(target=back_office, daemon=True).start()
    try:
        run(build_app(store), sock, Limits(body_timeout=300), on_exit=stop.set)
    finally:
        stop.set()
        store.db.close()


@platform.group(cls=ClerkGroup)
def device() -> None:
    """登记窗口机器。"""


@device.command("add")
@DB
@click.option("--device-id", required=True, help="设备编号")
@click.option("--centre-code", required=True, help="所属便民服务中心编码")
@click.option(
    "--window", type=click.IntRange(1, 99), help="这台机器的窗口号（一个窗口号只登记一台机器）"
)
def device_add(db: str, device_id: str, centre_code: str, window: int | None) -> None:
    """登记一台窗口机器；最后一行输出它的令牌。"""
    try:
        token = PlatformStore(db).add_device(device_id, centre_code, window)
    except WindowTaken as error:
        fail(str(error))
    click.echo(f"已登记设备 {device_id}（中心 {centre_code}），令牌：", err=True)
    click.echo(token)


@platform.command()
@DB
@click.option("--json", "as_json", is_flag=True, help="以JSON输出")
def stats(db: str, as_json: bool) -> None:
    """平台上的办件、操作、附件和重复请求数。"""
    counts = PlatformStore(db).stats()
    if as_json:
        echo_json(counts)
        return
    click.echo("，".join(f"{k} {v}" for k, v in counts.items()))


@platform.command()
@DB
def advance(db: str) -> None:
    """模拟后台推进一步：审查中 → 办结 → 待出件。"""
    click.echo(f"已推进 {PlatformStore(db).advance()} 项（办件状态和差评回访）")
