"""`clerk enrol` and `clerk sync`: the admin's side of syncing with the central platform."""

from __future__ import annotations

import json
import signal
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from clerk.cli.base import (
    CA_FILE,
    EXIT_REFUSED,
    EXIT_UNREACHABLE,
    ClerkCommand,
    ClerkError,
    ClerkGroup,
    actor,
    echo_json,
    echo_table,
    fail,
    home_of,
    services,
)
from offline.sync_lock import SyncBusy

if TYPE_CHECKING:  # `clerk sync status` needs neither the engine nor httpx
    from collections.abc import Callable

    from clerk.cli.progress import Progress
    from clerk.services import Services
    from offline.sync import CaseDifference, Summary, SyncEngine, Verification
    from offline.sync_status import SyncStatus

BUSY = 4  # exit code: another sync run holds this store (offline.sync_lock)
PLATFORM = click.option("--platform", "url", help="临时改用此平台地址（不改登记）")
JSON = click.option("--json", "as_json", is_flag=True, help="以JSON输出")


@click.command(cls=ClerkCommand)
@click.option("--platform", "url", required=True, help="平台接口地址（https://…/api/v1）")
@click.option("--device-id", required=True, help="平台分配给本机的设备编号")
@click.option(
    "--token-file",
    type=click.Path(exists=True, dir_okay=False),
    required=True,
    help="平台发给本机的令牌文件（令牌不会显示，保存为仅所有者可读）",
)
@CA_FILE
@click.pass_context
def enrol(
    ctx: click.Context, url: str, device_id: str, token_file: str, ca_file: str | None
) -> None:
    """把本机登记到平台。"""

    token = Path(token_file).read_text("utf-8").strip()
    if not token:
        fail("令牌文件是空的")
    from clerk import config
    from clerk.enrolment import verify

    home = home_of(ctx)
    settings = config.load(home)
    if not settings.initialised:
        fail(f"数据目录 {home} 尚未初始化，请先运行 clerk init")
    trusted = settings.platform.ca_file if ca_file is None else ca_file
    verify(url, device_id, token, trusted)  # a real request first: nothing is kept unless it works
    target = config.enrol(home, settings, url, device_id, token)
    settings.platform.ca_file = trusted
    config.save(home, settings)
    services(ctx).store.audit(actor(), "platform.enrol", device_id, {"url": url})
    click.echo(f"已登记：设备 {device_id} → {url}（令牌已保存到 {target}）")


@click.group(cls=ClerkGroup, invoke_without_command=True)
@PLATFORM
@JSON
@click.option(
    "--watch", is_flag=True, help="持续同步（用于系统服务），每隔 [platform] sync_interval 秒"
)
@click.option(
    "--wait",
    type=click.FloatRange(0, 3600),
    default=5,
    show_default=True,
    help="另一个同步正在进行时最多等待的秒数",
)
@click.pass_context
def sync(ctx: click.Context, url: str | None, as_json: bool, watch: bool, wait: float) -> None:
    """与平台同步一次：上报办件，取回办理结果。

    同一数据目录同时只进行一个同步（窗口界面、命令行、定时任务之间也是如此）。

    退出码：0 全部确认；1 出错（平台应答不合约定，或仍有操作平台暂不接收）；
    2 平台拒绝（有隔离的操作，或令牌无效）；3 平台无法连接；4 另一个同步正在进行。"""
    if ctx.invoked_subcommand is not None:
        return
    svc = services(ctx)
    engine = svc.sync_engine(url)
    if not watch:
        from clerk.cli.progress import progress

        with progress(as_json) as line:
            engine.progress = _shown_on(line, svc)
            try:
                summary = _run(svc, engine, wait)
            except SyncBusy as busy:
                line.close()
                click.echo(str(busy), err=True)
                ctx.exit(BUSY)
        _report(summary, as_json)
        ctx.exit(summary.exit_code)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    while not stop.is_set():
        try:
            _report(_run(svc, engine, wait), as_json, one_line=True)
        except SyncBusy as busy:  # another run does this round's work
            click.echo(f"{time.strftime('%H:%M:%S')} {busy}", err=True)
        stop.wait(svc.settings.platform.sync_interval)


def _shown_on(line: Progress, svc: Services) -> Callable[[str, int], None]:
    """The engine's progress (operations sent, attachment bytes, changes pulled) as the
    terminal's line."""
    counts = svc.store.outbox_counts()
    total = counts["pending"] + counts["in_flight"]
    done = {"ops": 0, "bytes": 0, "changes": 0}

    def show(what: str, count: int) -> None:
        done[what] += count
        pulled = f"，取回变更 {done['changes']} 条" if done["changes"] else ""
        line("上报操作", done["ops"], total, f"，附件 {done['bytes'] / 1e6:.1f} MB{pulled}")

    return show


def _run(svc: Services, engine: SyncEngine, wait: float) -> Summary:
    """One sync run, then the retention rule (it only ever touches acknowledged cases)."""
    summary = engine.run(wait)
    days = svc.settings.platform.retention_days
    summary.purged = svc.store.purge_personal_data(days, svc.blobs(), by="retention")
    return summary


def _report(summary: Summary, as_json: bool, one_line: bool = False) -> None:
    if as_json:
        data = summary.as_dict()
        click.echo(json.dumps(data, ensure_ascii=False)) if one_line else echo_json(data)
        return
    line = (
        f"上报 {summary.sent} 条：新确认 {summary.applied}，重复确认 {summary.duplicate}，"
        f"隔离 {summary.quarantined}；附件 {summary.blobs} 个（{summary.bytes} 字节）；"
        f"取回变更 {summary.pulled} 条（待核对 {summary.flagged}）；仍待上报 {summary.pending}"
    )
    state = "在线" if summary.online else "离线"
    click.echo(f"{time.strftime('%H:%M:%S')} {state} {line}" if one_line else line)
    for held in summary.set_aside:
        click.echo(f"隔离：{held}", err=True)
    if summary.changes_quarantined:
        click.echo(
            f"隔离：平台发来的 {summary.changes_quarantined} 条变更不符合接口约定，未写入本机"
            "（clerk sync status 查看）",
            err=True,
        )
    if summary.error:
        click.echo(f"问题：{summary.error}", err=True)
    if summary.last_line:
        click.echo(summary.last_line, err=True)


@sync.command()
@JSON
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """同步状态：待上报、已确认、隔离（每件办件一行）、被拒收的平台变更、上次成功时间。"""
    cfg = _checked_settings(ctx)["platform"]
    now = _status(ctx)
    held, kept, counts = now.quarantined_cases, now.kept_changes, now.counts
    data = {
        "platform": cfg["url"],
        "device_id": cfg["device_id"],
        **counts,
        "quarantined_cases": [
            {"case_id": c, "local_no": no, "operations": n, "reason": why} for c, no, n, why in held
        ],
        "quarantined_changes": [k.as_dict() for k in kept],
        "last_success": now.last_success,
        "changes_cursor": now.changes_cursor,
        "calendar_years": sorted(now.calendar_years),  # official calendars the platform gave
        "calendar_warning": _calendar_warning(now.calendar_years),
    }
    if as_json:
        echo_json(data)
        return
    click.echo(f"平台：{cfg['url'] or '（未登记）'}  设备：{cfg['device_id'] or '—'}")
    click.echo(
        f"待上报 {counts['pending'] + counts['in_flight']}，已确认 {counts['acked']}，"
        f"隔离 {counts['quarantined']}；上次成功：{data['last_success'] or '从未'}"
    )
    for _, local_no, count, reason in held:
        click.echo(f"隔离：办件 {local_no}（{count} 项操作）：{reason}")
    for change in kept:
        when = f"{change.received_at:%m-%d %H:%M}"
        click.echo(f"被拒收的平台变更 #{change.id}（{change.kind}，{when}）：{change.reason}")
    if data["calendar_warning"]:
        click.echo(f"注意：{data['calendar_warning']}")


def _checked_settings(ctx: click.Context) -> dict[str, Any]:
    """The validated settings as plain data, without pydantic when they are unchanged."""
    from clerk.configfile import checked

    home = home_of(ctx)
    settings = checked(home)
    if not settings["centre"]["code"]:
        fail(f"数据目录 {home} 尚未初始化，请先运行 clerk init")
    return settings


def _status(ctx: click.Context) -> SyncStatus:
    """The store's sync status, read without its models while its schema is current; when
    it is not, the store is opened first (which applies the migrations), as any command."""
    from clerk.configfile import DB_FILE
    from offline.sync_status import read

    path = home_of(ctx) / DB_FILE
    found = read(path)
    if found is None:
        services(ctx)
        found = read(path)
    assert found is not None, "the store's migrations end with sync_status.LATEST_MIGRATION"
    return found


def _calendar_warning(synced: set[int]) -> str | None:
    """From November, whether next year's official holiday calendar is still missing."""
    from offline.clock import now
    from offline.workdays import missing_next_year

    return missing_next_year(synced, now().date())


@sync.group(cls=ClerkGroup, invoke_without_command=True)
@JSON
@click.pass_context
def quarantine(ctx: click.Context, as_json: bool) -> None:
    """被平台拒绝或冲突的操作，以及随之搁置的同一办件的后续操作（不会自动重发）。"""
    if ctx.invoked_subcommand is not None:
        return
    ops = services(ctx).store.quarantined()
    if as_json:
        echo_json([op.model_dump(mode="json", exclude={"payload"}) for op in ops])
        return
    echo_table(
        ["操作编号", "类型", "时间", "原因"],
        [(op.op_id, op.type, f"{op.at:%Y-%m-%d %H:%M}", op.last_error) for op in ops],
    )


@quarantine.command("list")
@JSON
@click.pass_context
def quarantine_list(ctx: click.Context, as_json: bool) -> None:
    """列出隔离的操作。"""
    ctx.invoke(quarantine, as_json=as_json)


@quarantine.command()
@click.argument("key")
@click.pass_context
def requeue(ctx: click.Context, key: str) -> None:
    """在问题解决后，按原顺序重新上报一件办件的全部隔离操作（KEY：办件编号或操作编号）。"""
    count = services(ctx).store.requeue(key, by=actor())
    if not count:
        fail(f"没有隔离中的办件或操作 {key}")
    click.echo(f"已重新排队 {count} 项操作（下次同步时按顺序上报）：{key}")


@quarantine.command()
@click.argument("op_id")
@click.pass_context
def retry(ctx: click.Context, op_id: str) -> None:
    """同 requeue：重新上报该操作所属办件的全部隔离操作。"""
    ctx.invoke(requeue, key=op_id)


@sync.command()
@PLATFORM
@JSON
@click.pass_context
def verify(ctx: click.Context, url: str | None, as_json: bool) -> None:
    """核对本机与平台：已确认的操作，以及每个办件的状态和正式编号是否一致。

    退出码：0 一致；1 不一致或出错；2 平台不认可本机令牌；3 平台无法连接。"""
    check = _verification(services(ctx), url)
    if as_json:
        echo_json(asdict(check) | {"same": check.same})
        ctx.exit(0 if check.same else 1)
    ops = f"本机已确认 {check.local_ops} 条操作，平台保存 {check.platform_ops} 条"
    if check.cases_compared is None:
        cases = "平台不提供办件状态，未核对办件"
    else:
        cases = f"核对办件 {check.cases_compared} 件"
    if check.unsent:
        cases += f"（{check.unsent} 件尚有待上报的操作，未核对）"
    if check.same:
        click.echo(f"一致：{ops}，摘要相同；{cases}，状态和正式编号相同")
        return
    for line in [_difference(d) for d in check.differences][:MAX_DIFFERENCES]:
        click.echo(line, err=True)
    more = len(check.differences) - MAX_DIFFERENCES
    if more > 0:
        click.echo(f"……另有 {more} 处不一致", err=True)
    what = "操作摘要相同" if check.ops_same else "操作摘要不同"
    fail(f"不一致：{ops}，{what}；{cases}，{len(check.differences)} 处不一致")


def _verification(svc: Services, url: str | None) -> Verification:
    """The platform's view compared with ours; a platform out of reach or refusing this
    device ends the command with its own exit code (the one table), never as an error."""
    import httpx

    from offline import tls
    from offline.sync import AuthRejected, NotPlatform

    try:
        return svc.sync_engine(url).verify()
    except httpx.TransportError as error:
        raise Unreachable(f"平台无法连接：{tls.transport_problem(error)}") from None
    except NotPlatform as error:
        raise Unreachable(str(error)) from None
    except AuthRejected as error:
        raise Refused(str(error)) from None


class Unreachable(ClerkError):
    """The platform could not be asked."""

    exit_code = EXIT_UNREACHABLE


class Refused(ClerkError):
    """The platform refused this device."""

    exit_code = EXIT_REFUSED


MAX_DIFFERENCES = 20
FIELD_NAMES = {"status": "状态", "official_no": "正式编号", "presence": "办件"}


def _difference(d: CaseDifference) -> str:
    """One line for the admin: the case's window number (never personal data) and the field."""
    case = f"办件 {d.local_no}" if d.local_no else f"办件 {d.case_id}（本机没有）"
    mine, theirs = _value(d.field, d.local), _value(d.field, d.platform)
    return f"{case}：{FIELD_NAMES[d.field]} 本机“{mine}”，平台“{theirs}”"


def _value(field: str, value: str | None) -> str:
    from offline.models import CASE_STATUS_NAMES

    if value is None:
        return "无"
    return CASE_STATUS_NAMES.get(value, value) if field == "status" else value
