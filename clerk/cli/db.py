"""`clerk db`: integrity check, online backup, audit-chain verification."""

from __future__ import annotations

from pathlib import Path

import click

from clerk.cli.base import JSON, ClerkGroup, actor, echo_json, fail, pass_services
from clerk.services import Services


@click.group(cls=ClerkGroup)
def db() -> None:
    """数据库维护。"""


@db.command()
@click.option("--fix", is_flag=True, help="把数据目录中过宽的权限改为仅所有者可读写")
@JSON
@pass_services
def check(services: Services, fix: bool, as_json: bool) -> None:
    """检查数据库完整性、外键，以及数据目录中每个文件和目录的权限。"""
    from clerk import datadir

    fixed = datadir.fix_modes(services.home) if fix else []
    for item in fixed:
        click.echo(f"已修正：{item.path}（{item.mode:o} → {item.wanted:o}）", err=as_json)
    store = services.store
    problems = store.integrity_problems()
    problems += [str(i) for i in datadir.loose_modes(services.home) if i.path != store.path]
    problems += [f"{path} 不属于当前用户" for path in datadir.others_own(services.home)]
    counts = store.outbox_counts()
    if as_json:
        echo_json({"ok": not problems, "problems": problems, "outbox": counts})
        if problems:
            click.get_current_context().exit(1)
        return
    for problem in problems:
        click.echo(f"问题：{problem}", err=True)
    if problems:
        fail(f"数据库检查发现 {len(problems)} 个问题（权限问题可用 clerk db check --fix 修正）")
    click.echo(f"数据库正常：{store.path}")
    click.echo(
        f"待上报操作 {counts['pending'] + counts['in_flight']} 条，"
        f"已确认 {counts['acked']} 条，隔离 {counts['quarantined']} 条"
    )


@db.command()
@JSON
@click.pass_context
def migrate(ctx: click.Context, as_json: bool) -> None:
    """显示并执行数据库结构升级（升级前自动备份到数据目录的 backups/）。"""
    from clerk import config
    from clerk.cli.base import home_of, services
    from offline.db import pending_migrations

    pending = pending_migrations(home_of(ctx) / config.DB_FILE)
    svc = services(ctx)  # opening the store backs up, then applies them
    if as_json:
        echo_json({"applied": pending, "backup": str(svc.migration_backup or "") or None})
        return
    if not pending:
        click.echo("数据库结构已是最新，无需升级")
        return
    click.echo(f"已升级数据库结构：{'、'.join(pending)}")
    click.echo(f"升级前的备份：{svc.migration_backup}")


@db.command()
@click.argument("dest", type=click.Path(dir_okay=False))
@pass_services
def backup(services: Services, dest: str) -> None:
    """在线备份到 DEST（使用中也能得到一致的副本）。"""
    from clerk.cli.progress import progress

    target = Path(dest)
    with progress() as line:
        told = (lambda done, total: line("复制数据库（页）", done, total)) if line.enabled else None
        services.store.backup(target, told)
    size = target.stat().st_size
    if services.store.read_only:  # the copy is what matters most when the disk goes bad
        click.echo(f"已备份到 {target}（{size} 字节；数据目录不可写，本次备份未记入审计日志）")
        return
    services.store.audit(actor(), "db.backup", str(target))
    click.echo(f"已备份到 {target}（{size} 字节）")


@db.command()
@JSON
@pass_services
def verify(services: Services, as_json: bool) -> None:
    """校验审计日志的哈希链；被篡改时指出第一条异常记录。"""
    result = services.store.verify_audit()
    if as_json:
        echo_json(
            {
                "ok": result.ok,
                "count": result.count,
                "broken_at": result.broken_at,
                "reason": result.reason,
            }
        )
        if not result.ok:
            click.get_current_context().exit(1)
        return
    if not result.ok:
        fail(
            f"审计日志被篡改：第{result.broken_at}条记录，{result.reason}"
            f"（此前 {result.count} 条完好）"
        )
    click.echo(f"审计日志完好：共 {result.count} 条记录，哈希链连续")


@db.command()
@click.option("--days", type=click.IntRange(1, 36500), help="保留天数（默认取配置，180天）")
@pass_services
def purge(services: Services, days: int | None) -> None:
    """清除已办结且平台已确认、超过保留期限的办件中的个人信息（姓名、证件号、电话、住址、扫描件）。"""
    count = services.store.purge_personal_data(
        days or services.settings.platform.retention_days, services.blobs(), by=actor()
    )
    click.echo(f"已清除 {count} 件办件的个人信息（办件编号、事项、日期和状态保留）")
