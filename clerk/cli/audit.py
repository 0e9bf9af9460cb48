"""`clerk audit`: read the audit log (who did what, at which window, when)."""

from __future__ import annotations

import click

from clerk.cli.base import ClerkGroup, echo_json, echo_table, pass_services
from clerk.services import Services
from offline.vocabulary import action_name, actor_name


@click.group(cls=ClerkGroup)
def audit() -> None:
    """审计日志。"""


@audit.command("list")
@click.option("--clerk", "clerk_id", help="只看该工号的记录")
@click.option(
    "--limit", type=click.IntRange(1, 10000), default=50, show_default=True, help="最多显示条数"
)
@click.option("--json", "as_json", is_flag=True, help="以JSON输出")
@pass_services
def list_(services: Services, clerk_id: str | None, limit: int, as_json: bool) -> None:
    """最新的审计记录在前。"""
    events = services.store.audit_entries(limit, clerk_id)
    if as_json:
        echo_json([e.model_dump(mode="json") for e in events])
        return
    names = {c.clerk_id: c.name for c in services.store.clerks()}
    echo_table(
        ["序号", "时间", "人员", "窗口", "操作", "对象"],
        [
            (
                e.id,
                f"{e.at:%Y-%m-%d %H:%M:%S}",
                actor_name(e.clerk_id, names),
                e.window_no or "",
                action_name(e.action),
                e.target,
            )
            for e in events
        ],
    )
