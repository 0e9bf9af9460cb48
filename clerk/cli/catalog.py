"""`clerk catalog`: list, show, search and import service items (事项)."""

from __future__ import annotations

import click

from clerk.cli.base import (
    JSON,
    ClerkGroup,
    NamedChoice,
    actor,
    echo_json,
    echo_table,
    fail,
    pass_services,
)
from clerk.services import Services
from offline import catalog as catalog_files
from offline.models import CASE_TYPE_NAMES, MATERIAL_STATUS_NAMES, WINDOW_KIND_NAMES, ServiceItem

KIND = NamedChoice(WINDOW_KIND_NAMES)


@click.group(cls=ClerkGroup)
def catalog() -> None:
    """事项目录。"""


def _limit(item: ServiceItem) -> str:
    if item.promised_limit is None:
        return "即办"
    unit = "个工作日" if item.promised_limit.unit == "workday" else "天"
    return f"{item.promised_limit.count}{unit}"


def _echo_items(items: list[ServiceItem], as_json: bool) -> None:
    if as_json:
        echo_json([i.model_dump(mode="json") for i in items])
        return
    echo_table(
        ["编码", "名称", "窗口", "承诺时限"],
        [(i.code, i.name, WINDOW_KIND_NAMES.get(i.category, i.category), _limit(i)) for i in items],
    )


@catalog.command("list")
@click.option("--kind", type=KIND, help="只列出该类窗口可办的事项")
@JSON
@pass_services
def list_(services: Services, kind: str | None, as_json: bool) -> None:
    """列出事项。"""
    _echo_items(services.store.items(kind), as_json)


@catalog.command()
@click.argument("text")
@click.option("--kind", type=KIND, help="只查该类窗口可办的事项")
@JSON
@pass_services
def search(services: Services, text: str, kind: str | None, as_json: bool) -> None:
    """按拼音首字母（ylbx）、全拼、中文或编码查找事项。"""
    _echo_items(services.store.search_items(text, kind), as_json)


@catalog.command()
@click.option("--kind", type=KIND, help="只列出该类窗口可办的一件事")
@JSON
@pass_services
def bundles(services: Services, kind: str | None, as_json: bool) -> None:
    """列出一件事：所含事项与共用的表单字段。"""
    found = services.store.bundles(kind)
    if as_json:
        echo_json([b.model_dump(mode="json") for b in found])
        return
    items = {i.code: i for i in services.store.items()}
    names = {code: item.name for code, item in items.items()}
    titles = {
        name: prop.get("title", name)
        for item in items.values()
        for name, prop in item.form.get("properties", {}).items()
    }
    echo_table(
        ["编码", "一件事", "所含事项", "共用字段"],
        [
            (
                b.code,
                b.name,
                "、".join(names.get(r.code, r.code) for r in b.items),
                "、".join(titles.get(f, f) for f in b.shared_fields) or "—",
            )
            for b in found
        ],
    )


@catalog.command()
@click.argument("code")
@JSON
@pass_services
def show(services: Services, code: str, as_json: bool) -> None:
    """显示一个事项的全部要素。"""
    item = services.store.item(code)
    if item is None:
        fail(f"事项 {code} 不存在")
    if as_json:
        echo_json(item.model_dump(mode="json"))
        return
    kinds = "、".join(WINDOW_KIND_NAMES.get(k, k) for k in item.window_kinds)
    legal = f"{item.legal_limit.count}个工作日" if item.legal_limit else "—"
    for label, value in [
        ("事项", f"{item.name}（{item.code} 第{item.version}版）"),
        ("类型", CASE_TYPE_NAMES[item.case_type]),
        ("受理窗口", kinds),
        ("法定时限", legal),
        ("承诺时限", _limit(item)),
        ("收费", item.fee or "不收费"),
        ("受理条件", item.conditions),
        ("设定依据", item.basis),
        ("咨询电话", item.phone),
    ]:
        click.echo(f"{label}：{value}")
    click.echo("申请材料：")
    missing_name = MATERIAL_STATUS_NAMES["missing_allowed"]
    echo_table(
        ["编码", "名称", "必需", "原件", "复印件", "可容缺"],
        [
            (
                m.code,
                m.name,
                "是" if m.required else "否",
                m.original,
                m.copies,
                missing_name if m.code in item.allow_missing else "",
            )
            for m in item.materials
        ],
    )


@catalog.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False), required=False)
@click.option("--demo", is_flag=True, help="导入内置的演示目录")
@JSON
@pass_services
def import_(services: Services, file: str | None, demo: bool, as_json: bool) -> None:
    """从文件（平台 /catalog 的JSON）导入事项目录。"""
    if bool(file) == demo:
        fail("请给出目录文件，或使用 --demo（二者选一）")
    from clerk.cli.progress import progress

    source = catalog_files.demo_catalog() if demo else catalog_files.load_file(file or "")
    with progress(as_json) as line:
        count = services.store.import_catalog(
            source, by=actor(), progress=lambda done, total: line("整理事项", done, total)
        )
    if as_json:
        echo_json({"version": source.version, "items": count, "bundles": len(source.bundles)})
        return
    click.echo(f"已导入 {count} 个事项（目录版本 {source.version}）")
