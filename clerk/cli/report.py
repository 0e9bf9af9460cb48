"""`clerk report`: figures for the centre's leadership, from this window's own records."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import click

from clerk.cli.base import ClerkGroup, Day, actor, echo_json, echo_table, fail, pass_services
from clerk.services import Services
from offline import visits

GROUP_NAMES = {"item": "事项", "window": "窗口", "month": "月份"}


@click.group(cls=ClerkGroup)
def report() -> None:
    """统计报表。"""


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.1%}"


@report.command("visits")
@click.option("--from", "date_from", type=Day(), help="受理日期起（默认本月1日）")
@click.option("--to", "date_to", type=Day(), help="受理日期止（默认今天）")
@click.option("--json", "as_json", is_flag=True, help="以JSON输出")
@click.option("--csv", "as_csv", is_flag=True, help="以CSV输出")
@pass_services
def visits_(services: Services, date_from: Any, date_to: Any, as_json: bool, as_csv: bool) -> None:
    """跑动次数：按事项、窗口、月份统计最多跑一次率、零跑动和多次跑动的原因。"""
    if as_json and as_csv:
        fail("--json 与 --csv 只能选一个")
    today = datetime.now().date()
    start: date = date_from.date() if date_from else today.replace(day=1)
    end: date = date_to.date() if date_to else today
    if start > end:
        fail("起始日期晚于截止日期")
    found = visits.report(services.store.visits(start, end), start, end)
    services.store.audit(actor(), "report.visits", f"{start}~{end}")
    if as_json:
        echo_json(found.as_dict())
    elif as_csv:
        click.echo(found.as_csv(), nl=False)
    else:
        click.echo(f"跑动次数统计（受理日期 {start} 至 {end}）")
        echo_table(
            [
                "分组",
                "名称",
                "受理",
                "办结",
                "最多跑一次",
                "最多跑一次率",
                "零跑动",
                "多次跑动",
                "其中补正",
                "其中取件",
            ],
            [
                (
                    GROUP_NAMES[r.group],
                    r.name,
                    r.cases,
                    r.done,
                    r.at_most_once,
                    _percent(r.rate),
                    r.zero_extra,
                    r.more,
                    r.more_correction,
                    r.more_pickup,
                )
                for r in found.rows
            ],
        )


COMMANDS = [report]
