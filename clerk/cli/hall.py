"""`clerk hall`: the hall queue service, and a scriptable caller for windows and caller boxes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import httpx

from clerk import config
from clerk.cli.base import (
    CA_FILE,
    ClerkGroup,
    Day,
    InFile,
    actor,
    echo_json,
    echo_table,
    fail,
    home_of,
    services,
)
from clerk.services import Services
from offline.models import WINDOW_KIND_NAMES
from offline.queue import PREFIXES, QueuePolicy, QueueStore, parse_hours

DB = click.option("--db", required=True, type=click.Path(dir_okay=False), help="叫号服务数据库文件")
HALL = click.option("--hall", "url", help="叫号服务地址（默认取配置 [hall] url）")
JSON = click.option("--json", "as_json", is_flag=True, help="以JSON输出")


@click.group(cls=ClerkGroup)
def hall() -> None:
    """大厅叫号：取号、叫号、状态和报表。"""


@hall.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址")
@click.option("--port", default=8800, show_default=True, type=int, help="监听端口")
@DB
@click.option("--voice/--no-voice", default=True, help="叫号时语音播报（取配置 [voice]）")
@click.option(
    "--recall-gap",
    type=float,
    default=30,
    show_default=True,
    help="同一个号两次重呼播报的最短间隔（秒）",
)
@click.option(
    "--green",
    type=click.Choice(["first", "one_in_n"]),
    default="first",
    show_default=True,
    help="绿色通道规则：first 总是优先；one_in_n 每 N 次叫号至少一个绿色通道",
)
@click.option("--green-every", type=click.IntRange(2, 20), default=3, show_default=True, help="N")
@click.option("--cap", "caps", multiple=True, help="每日取号上限，如 general=200（可多次）")
@click.option(
    "--hours",
    multiple=True,
    help="取号时间，如 *=08:30-12:00,13:30-17:00 或 business=09:00-11:00（可多次）",
)
@click.option(
    "--private-board", is_flag=True, help="显示屏网页也需要令牌（默认大厅局域网内无需密钥）"
)
@click.pass_context
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    db: str,
    voice: bool,
    recall_gap: float,
    green: str,
    green_every: int,
    caps: tuple[str, ...],
    hours: tuple[str, ...],
    private_board: bool,
) -> None:
    """启动大厅叫号服务（各窗口共用一个号序，全大厅一个语音播报）。"""
    policy = QueuePolicy(
        green=green,
        every=green_every,
        caps={k: int(v) for k, v in _pairs(caps, "--cap", str.isdigit)},
        hours=dict(_pairs(hours, "--hours", _hours_ok)),
    )
    from clerk.hall.calls import Calls  # the web stack only for the command that serves
    from clerk.hall.server import build_app, make_hall
    from offline.web import Limits, bind, run

    announcer = services(ctx, initialised=False).announcer() if voice else None
    store = QueueStore(db, policy)
    hall_ = make_hall(store, Calls(announcer, recall_gap), open_board=not private_board)
    sock = bind(host, port)
    click.echo(f"http://{host}:{sock.getsockname()[1]}")
    click.echo("叫号服务已启动", err=True)
    try:
        run(build_app(hall_), sock, Limits(), on_exit=hall_.stopping.set)
    finally:
        store.close()
        click.echo("已停止", err=True)


def _pairs(values: tuple[str, ...], option: str, valid: Any) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        kind, _, setting = value.partition("=")
        if (kind != "*" and kind not in PREFIXES) or not valid(setting):
            raise click.BadParameter(f"“{value}”不正确", param_hint=option)
        pairs.append((kind, setting))
    return pairs


def _hours_ok(text: str) -> bool:
    try:
        parse_hours(text)
    except ValueError:
        return False
    return True


@hall.command()
@HALL
@click.pass_context
def kiosk(ctx: click.Context, url: str | None) -> None:
    """启动自助取号机界面（选择业务、可读身份证、打印号票）。"""
    svc = _hall_services(ctx, url)
    from clerk.hall.kiosk import KioskApp  # Textual only for the commands that show it

    KioskApp(svc).run()


@hall.command()
@HALL
@click.pass_context
def board(ctx: click.Context, url: str | None) -> None:
    """启动大厅叫号显示屏（最新叫号、各窗口当前号、各业务等候人数）。"""
    svc = _hall_services(ctx, url)
    from clerk.hall.board import BoardApp

    BoardApp(svc.hall(), svc.settings.centre.name or "便民服务中心").run()


def _hall_services(ctx: click.Context, url: str | None) -> Services:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        fail("该界面需要在终端中运行")
    svc = services(ctx, initialised=False)
    if url:
        svc.settings.hall.url = url
    return svc


@hall.command()
@DB
def key(db: str) -> None:
    """显示叫号服务的管理密钥（只给管理员；各窗口用 clerk hall window add 发的令牌）。"""
    click.echo(QueueStore(db).hall_key())


@hall.group(cls=ClerkGroup)
def token() -> None:
    """取号机和显示屏的令牌。"""


@token.command("add")
@click.argument("role", type=click.Choice(["kiosk", "board"]))
@click.option("--name", default="", help="设备名称，如 大厅东侧取号机")
@DB
def token_add(role: str, name: str, db: str) -> None:
    """给取号机（只能取号和查看）或显示屏（只能查看）发一个令牌；最后一行输出令牌。"""
    issued = QueueStore(db).add_token("kiosk" if role == "kiosk" else "board", name=name)
    click.echo(f"已发放{'取号机' if role == 'kiosk' else '显示屏'}令牌（只显示这一次）：", err=True)
    click.echo(issued)


@hall.command()
@DB
@click.argument("dest", type=click.Path(dir_okay=False))
def backup(db: str, dest: str) -> None:
    """备份叫号数据库和它的身份密钥（恢复时两个文件放在一起）。"""
    try:
        QueueStore(db).backup(Path(dest))
    except FileExistsError as error:
        fail(str(error))
    click.echo(f"已备份到 {dest}（和 {dest}-secret）")


@hall.command()
@click.argument("url")
@click.option(
    "--token", "token_file", required=True, type=InFile(), help="令牌文件（- 为标准输入）"
)
@CA_FILE
@click.pass_context
def join(ctx: click.Context, url: str, token_file: Any, ca_file: str | None) -> None:
    """把本机接入大厅叫号服务（令牌由叫号服务机上的 clerk hall window add 发放）。"""
    secret = token_file.read().strip()
    if not secret:
        fail("令牌文件是空的")
    if not secret.isascii() or not secret.isprintable():
        fail("令牌格式不正确：令牌文件里应只有 clerk hall window add 输出的最后一行")
    home = home_of(ctx)
    settings = config.load(home)
    if not settings.initialised:
        fail(f"数据目录 {home} 尚未初始化，请先运行 clerk init")
    trusted = settings.hall.ca_file if ca_file is None else ca_file
    who = _ask(url, "GET", "/whoami", secret, ca_file=trusted).json()
    if who["role"] == "window" and who["window_no"] != settings.window.no:
        fail(f"该令牌属于{who['window_no']}号窗口，本机配置为{settings.window.no}号窗口")
    settings.hall.url, settings.hall.key = url.rstrip("/"), secret
    settings.hall.ca_file = trusted
    config.save(home, settings)
    services(ctx).store.audit(actor(), "hall.join", url, {"role": who["role"]})
    what = f"{who['window_no']}号窗口" if who["role"] == "window" else ROLES[who["role"]]
    click.echo(f"已接入叫号服务 {url}（{what}）")


ROLES = {"admin": "管理", "kiosk": "取号机", "board": "显示屏"}


def _call(
    ctx: click.Context, url: str | None, method: str, path: str, body: dict[str, Any] | None = None
) -> httpx.Response:
    settings = config.load(home_of(ctx))
    base = url or settings.hall.url
    if not base:
        fail("未配置叫号服务地址：请用 --hall 指定，或在配置文件 [hall] url 中设置")
    return _ask(base, method, path, settings.hall.key, body, settings.hall.ca_file)


def _ask(
    base: str,
    method: str,
    path: str,
    key: str,
    body: dict[str, Any] | None = None,
    ca_file: str = "",
) -> httpx.Response:
    from offline import tls

    try:
        response = httpx.request(
            method,
            base.rstrip("/") + path,
            json=body,
            timeout=10,
            headers={"X-Hall-Key": key},
            verify=tls.context(ca_file),
        )
    except httpx.TransportError as error:
        fail(f"叫号服务无法连接（{base}）：{tls.transport_problem(error)}")
    try:
        data = response.json()
    except ValueError:
        fail(f"叫号服务的应答无效（{response.status_code}）")
    if response.status_code >= 400 and response.status_code != 404:
        fail(data.get("error", f"叫号服务出错（{response.status_code}）"))
    return response


@hall.group(cls=ClerkGroup)
def window() -> None:
    """窗口设置。"""


@window.command("add")
@click.argument("window_no", type=click.IntRange(1, 99))
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    required=True,
    type=click.Choice(list(PREFIXES)),
    help="该窗口办理的业务（可多次）",
)
@DB
def window_add(window_no: int, kinds: tuple[str, ...], db: str) -> None:
    """在叫号服务机上登记一个窗口并发放它的令牌（旧令牌作废）；最后一行输出令牌。
    令牌只能代表这个窗口，在窗口机上用 clerk hall join 接入。"""
    store = QueueStore(db)
    store.set_window(window_no, list(kinds))
    issued = store.add_token("window", window_no)
    names = "、".join(WINDOW_KIND_NAMES.get(k, k) for k in kinds)
    click.echo(f"{window_no}号窗口办理：{names}；令牌（只显示这一次）：", err=True)
    click.echo(issued)


@window.command("set")
@click.argument("window_no", type=click.IntRange(1, 99))
@click.option(
    "--kinds", required=True, help="该窗口办理的业务，逗号分隔，如 general,social_security"
)
@HALL
@click.pass_context
def window_set(ctx: click.Context, window_no: int, kinds: str, url: str | None) -> None:
    """设置窗口办理哪些业务（未设置的窗口办理全部业务）。"""
    names = [k.strip() for k in kinds.split(",") if k.strip()]
    _call(ctx, url, "POST", f"/windows/{window_no}/kinds", {"kinds": names})
    click.echo(f"{window_no}号窗口办理：" + "、".join(WINDOW_KIND_NAMES.get(k, k) for k in names))


@hall.command()
@click.argument("kind")
@click.option("--green", is_flag=True, help="绿色通道")
@HALL
@JSON
@click.pass_context
def issue(ctx: click.Context, kind: str, green: bool, url: str | None, as_json: bool) -> None:
    """取一个号，如：clerk hall issue general"""
    ticket = _call(ctx, url, "POST", "/tickets", {"kind": kind, "green": green}).json()
    if as_json:
        echo_json(ticket)
        return
    click.echo(
        f"{ticket['number']}（{WINDOW_KIND_NAMES.get(kind, kind)}，前面还有 "
        f"{ticket.get('ahead', 0)} 人）"
    )


@hall.command()
@click.option("--window", "window_no", required=True, type=click.IntRange(1, 99), help="窗口号")
@click.option("--clerk", "clerk_id", default="", help="工号")
@HALL
@JSON
@click.pass_context
def call(ctx: click.Context, window_no: int, clerk_id: str, url: str | None, as_json: bool) -> None:
    """叫下一个号（先结束本窗口当前的号）；没有人排队时退出码为1。"""
    response = _call(ctx, url, "POST", f"/windows/{window_no}/call", {"clerk_id": clerk_id})
    if response.status_code == 404:
        fail("没有人在排队")
    ticket = response.json()
    if as_json:
        echo_json(ticket)
        return
    click.echo(f"请{ticket['number']}号到{window_no}号窗口办理")


@hall.command()
@HALL
@JSON
@click.pass_context
def status(ctx: click.Context, url: str | None, as_json: bool) -> None:
    """各业务排队人数和各窗口当前的号（不含任何个人信息）。"""
    data = _call(ctx, url, "GET", "/status").json()
    if as_json:
        echo_json(data)
        return
    waiting = "，".join(f"{WINDOW_KIND_NAMES.get(k, k)} {n}人" for k, n in data["waiting"].items())
    click.echo(f"排队：{waiting or '无人'}")
    echo_table(["窗口", "当前号"], sorted(data["windows"].items(), key=lambda r: int(r[0])))


@hall.command()
@click.option("--date", "day", type=Day(), help="日期（默认今天）")
@HALL
@JSON
@click.pass_context
def report(ctx: click.Context, day: Any, url: str | None, as_json: bool) -> None:
    """叫号报表：各窗口、各人员的办理数、过号数、平均等候和办理时间。"""
    query = f"?date={day:%Y-%m-%d}" if day else ""
    data = _call(ctx, url, "GET", "/report" + query).json()
    if as_json:
        echo_json(data)
        return
    click.echo(f"{data['date']} 叫号报表")
    echo_table(
        ["窗口", "工号", "叫号数", "过号", "平均等候(分)", "平均办理(分)"],
        [
            (
                r["window_no"],
                r["clerk_id"],
                r["tickets"],
                r["no_shows"],
                _minutes(r["wait_min"]),
                _minutes(r["service_min"]),
            )
            for r in data["rows"]
        ],
    )


def _minutes(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"
