"""`clerk case`: find and show cases (办件). ID numbers are masked unless `--full`, which is
audited as a reveal of personal data."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click

from clerk.cli.base import (
    JSON,
    ClerkGroup,
    Day,
    NamedChoice,
    actor,
    echo_json,
    echo_table,
    fail,
    pass_services,
)
from clerk.services import Services
from offline import backfill
from offline.clock import now
from offline.models import (
    CASE_STATUS_NAMES,
    CASE_TYPE_NAMES,
    MATERIAL_STATUS_NAMES,
    Case,
    CaseQuery,
    CaseStatus,
)
from offline.privacy import mask_id, mask_phone
from offline.vocabulary import action_name, op_state_name

REPRINTABLE = (
    "受理回执",
    "一次性告知书",
    "不予受理通知书",
    "补正回执",
    "出件回执",
)  # receipts.DOCS
FULL = click.option("--full", is_flag=True, help="显示完整证件号码和电话（记入审计日志）")


@click.group(cls=ClerkGroup)
def case() -> None:
    """办件查询。"""


def _masked(case: Case) -> dict[str, Any]:
    """The case as JSON with the applicant's and agent's identifiers masked."""
    data = case.model_dump(mode="json")
    for role in ("applicant", "agent"):
        person = data["payload"].get(role)
        if person:
            person["id_number"] = mask_id(person["id_number"])
            person["phone"] = mask_phone(person.get("phone"))
    return data


def _reveal(services: Services, cases: list[Case], full: bool) -> None:
    if full and cases:
        services.store.audit(
            actor(), "case.reveal", ",".join(c.local_no for c in cases[:20]), {"count": len(cases)}
        )


@case.command("list")
@click.option("--text", help="办件编号、正式编号、证件号码或姓名（前缀）")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=NamedChoice(CASE_STATUS_NAMES),
    help="按状态筛选（可重复）",
)
@click.option("--from", "date_from", type=Day(), help="受理日期起")
@click.option("--to", "date_to", type=Day(), help="受理日期止")
@click.option(
    "--limit", type=click.IntRange(1, 1000), default=50, show_default=True, help="最多显示条数"
)
@JSON
@FULL
@pass_services
def list_(
    services: Services,
    text: str | None,
    statuses: tuple[CaseStatus, ...],
    date_from: Any,
    date_to: Any,
    limit: int,
    as_json: bool,
    full: bool,
) -> None:
    """查找办件，最新的在前。"""
    query = CaseQuery(
        text=text,
        status=list(statuses),
        limit=limit,
        accepted_from=_day(date_from),
        accepted_to=_day(date_to),
    )
    found = services.store.search_cases(query)
    _reveal(services, found, full)
    if as_json:
        echo_json([c.model_dump(mode="json") if full else _masked(c) for c in found])
        return
    show_id = (lambda n: n) if full else mask_id
    echo_table(
        ["办件编号", "事项", "申请人", "证件号码", "状态", "受理时间", "承诺办结"],
        [
            (
                c.local_no,
                c.payload.item.name,
                c.payload.applicant.name,
                show_id(c.payload.applicant.id_number),
                c.status_name,
                f"{c.payload.accepted_at:%Y-%m-%d %H:%M}",
                _promised(c),
            )
            for c in found
        ],
    )


def _day(value: Any) -> date | None:
    return value.date() if value else None


def _promised(case: Case) -> str:
    if case.payload.promised_by is None:
        return "—"
    return f"{case.payload.promised_by}" + ("" if case.deadline_verified else "（未核验）")


@case.command()
@click.argument("key")
@JSON
@FULL
@pass_services
def show(services: Services, key: str, as_json: bool, full: bool) -> None:
    """显示一件办件：办件编号、正式编号或 case_id。"""
    found = services.store.case(key)
    if found is None:
        fail(f"没有找到办件 {key}")
    _reveal(services, [found], full)
    if as_json:
        data = found.model_dump(mode="json") if full else _masked(found)
        data["operations"] = [
            op.model_dump(mode="json", exclude={"payload"})
            for op in services.store.operations(found.case_id)
        ]
        echo_json(data)
        return
    _echo_case(services, found, full)


def _echo_case(services: Services, case: Case, full: bool) -> None:
    p = case.payload
    applicant = p.applicant
    number = applicant.id_number if full else mask_id(applicant.id_number)
    lines = [
        ("办件编号", p.local_no),
        ("正式编号", case.official_no or "（待平台赋号）"),
        ("状态", case.status_name),
        ("事项", f"{p.item.name}（{p.item.code}）"),
        ("办件类型", CASE_TYPE_NAMES[p.case_type]),
        ("申请人", f"{applicant.name}  {number}"),
        ("受理时间", f"{p.accepted_at:%Y-%m-%d %H:%M:%S}"),
        ("承诺办结", _promised(case)),
        ("经办人", f"{p.clerk_id}（{p.window_no}号窗口）"),
        ("排队号", p.ticket or "—"),
    ]
    if p.agent:
        agent_no = p.agent.id_number if full else mask_id(p.agent.id_number)
        lines.insert(6, ("代办人", f"{p.agent.name}  {agent_no}"))
    if case.refusal:
        lines.append(("不予受理理由", case.refusal.reason))
        lines.append(("建议前往", case.refusal.refer_to or "—"))
    if case.flagged:
        lines.append(("待处理", case.flagged))
    for label, value in lines:
        click.echo(f"{label}：{value}")
    click.echo("材料：")
    echo_table(
        ["编码", "名称", "情况", "原件已核", "复印件"],
        [
            (
                m.code,
                m.name,
                MATERIAL_STATUS_NAMES[m.status],
                "是" if m.original_checked else "",
                m.copies,
            )
            for m in p.materials
        ],
    )
    click.echo("上报平台：")
    echo_table(
        ["序号", "操作", "状态", "时间"],
        [
            (op.seq, action_name(op.type), op_state_name(op.state), f"{op.at:%Y-%m-%d %H:%M:%S}")
            for op in services.store.operations(case.case_id)
        ],
    )


@case.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@JSON
@pass_services
def import_(services: Services, file: str, as_json: bool) -> None:
    """补录：导入停电或断网期间纸质登记的办件（JSONL，每行一件，需 source_ref）。"""
    from clerk.cli.progress import progress

    stages = {"checked": "检查行", "written": "写入办件"}
    with progress(as_json) as line:
        result = backfill.import_file(
            services.store, Path(file), lambda stage, done, total: line(stages[stage], done, total)
        )
    services.store.audit(
        actor(),
        "case.import",
        Path(file).name,
        {"created": len(result.created), "skipped": result.skipped},
    )
    if as_json:
        echo_json({"created": result.created, "skipped": result.skipped})
        return
    click.echo(f"已补录 {len(result.created)} 件，已存在跳过 {result.skipped} 件")
    for local_no in result.created:
        click.echo(f"  {local_no}")


@case.command("print")
@click.argument("key")
@click.option(
    "--doc",
    type=click.Choice(REPRINTABLE),
    help="补打哪种单据（默认按办件状态：受理回执、不予受理通知书或出件回执）",
)
@click.option("--printer", "url", help="打印机地址（默认取配置）：tcp://、serial:、usb:、file:")
@click.option("--paper", type=click.Choice(["58", "80"]), help="纸宽（毫米，默认取配置）")
@click.option("--preview", is_flag=True, help="只显示预览，不打印")
@pass_services
def print_(
    services: Services, key: str, doc: str | None, url: str | None, paper: str | None, preview: bool
) -> None:
    """补打办件的单据（回执丢失、打印机故障时），单据标注“补打”，记入审计日志。"""
    from clerk import receipts  # paper templates and the printer: loaded for this command only
    from devices.printer.preview import to_text
    from devices.printer.states import STATUS_TEXT

    found = services.store.case(key)
    if found is None:
        fail(f"没有找到办件 {key}")
    name = doc or receipts.default_doc(found)
    centre = receipts.centre_of(services.home, services.settings, found.payload.window_no)
    at = now()
    notice_no = services.store.issue_notice_no(at) if name == "一次性告知书" and not preview else ""
    document = receipts.again(services.store, found, name, centre, at, notice_no)
    settings = services.paper(int(paper) if paper else None)
    click.echo(to_text(document, settings.columns, settings.codec))
    if preview:
        return
    result = services.print_once(document, url, settings)  # now or not at all: the admin sees
    services.store.audit(
        actor(),
        "print.reprint",
        found.local_no,
        {"doc": name, "printed": result.printed == 1, "status": result.status},
    )
    if result.printed != 1:
        why = STATUS_TEXT[result.status].split("（")[0]  # nothing is kept: no "已保留"
        fail(f"{name}未能打印：{why}，请处理后重新补打")
    click.echo(f"已补打{name}：{found.local_no}")
