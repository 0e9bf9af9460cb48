"""`clerk backup`: the whole data directory into one checked archive, and back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from clerk.cli.base import JSON, ClerkGroup, echo_json, fail, home_of
from clerk.cli.progress import Progress, progress


@click.group(cls=ClerkGroup)
def backup() -> None:
    """备份与恢复：数据库、扫描件、打印队列、配置、令牌和叫号库，一个带校验清单的文件。"""


@backup.command()
@click.argument("dest_dir", type=click.Path(file_okay=False))
@click.option(
    "--keep", type=click.IntRange(1, 1000), help="只保留最新的这么多个备份（用于定时任务）"
)
@JSON
@click.pass_context
def create(ctx: click.Context, dest_dir: str, keep: int | None, as_json: bool) -> None:
    """在 DEST_DIR 中写一个备份文件（使用中也能得到一致的副本）。"""
    from clerk import backup as backups

    with progress(as_json) as line:
        path = backups.create(home_of(ctx), Path(dest_dir), progress=_shown_on(line))
    if keep:
        for old in sorted(Path(dest_dir).glob("clerk-backup-*.tar"))[:-keep]:
            old.unlink()
    manifest = backups.read_manifest(path)
    if as_json:
        echo_json({"archive": str(path), "files": len(manifest["files"])})
        return
    click.echo(f"已备份 {len(manifest['files'])} 个文件到 {path}（{path.stat().st_size} 字节）")


@backup.command()
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="数据目录已有数据时也恢复（先自动备份现有数据）")
@JSON
@click.pass_context
def restore(ctx: click.Context, archive: str, force: bool, as_json: bool) -> None:
    """检查备份文件的每个校验和，然后恢复到数据目录；办件编号从安全余量之后继续。"""
    from clerk import backup as backups
    from clerk import config

    home = home_of(ctx)
    backups.read_manifest(Path(archive))  # refuse a damaged file before anything else
    safety, existing = None, (home / config.DB_FILE).exists()
    if existing and not force:
        fail(f"数据目录 {home} 已有数据；恢复会覆盖它。确认请加 --force（会先备份现有数据）")
    with progress(as_json) as line:
        if existing:
            safety = backups.create(
                home, Path(archive).resolve().parent, "before-restore", _shown_on(line)
            )
        done = backups.restore(Path(archive), home, progress=_shown_on(line))
    if as_json:
        echo_json(
            {
                "files": done.files,
                "created_at": done.created_at,
                "days_moved": done.days_moved,
                "previous": str(safety) if safety else None,
            }
        )
        return
    if safety:
        click.echo(f"恢复前的数据已备份到 {safety}")
    click.echo(f"已恢复 {done.files} 个文件（备份时间 {done.created_at}）")
    click.echo(f"办件编号：{done.days_moved} 天的编号已跳过 {_margin()} 个，不会与丢失的机器重复")
    click.echo(
        "请先运行 clerk sync：首次同步会从平台取回本窗口的办件，编号随后紧接平台已有的最大编号"
    )


STAGES = {
    "copied": "复制文件",
    "summed": "计算校验和",
    "archived": "写入备份",
    "checked": "校验文件",
}


def _shown_on(line: Progress) -> Callable[[str, int, int], None]:
    """A backup's or restore's stages as the terminal's progress line."""
    return lambda stage, done, total: line(STAGES[stage], done, total)


def _margin() -> int:
    from offline.numbering import RESTORE_MARGIN

    return RESTORE_MARGIN
