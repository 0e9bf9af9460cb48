"""`clerk config`: check, show and change `clerk.toml` without an editor.

`config set` validates the whole file with the new value before it writes anything, and
writes atomically (0600), so a typo never reaches the desk and a full disk leaves the old file.
"""

from __future__ import annotations

import logging
import tomllib
from typing import Any

import click
import tomli_w
from pydantic import BaseModel, ValidationError

from clerk import config as conf
from clerk.cli.base import JSON, ClerkGroup, echo_json, echo_table, fail, home_of

log = logging.getLogger("clerk.cli.config")
SECRET_KEYS = {("hall", "key")}
CHECK_FIELDS = ("key", "status", "item", "state", "advice")  # of each `config check --json` item

# (section, address field, name) of every device: what `config check` reports as 未配置.
DEVICES = [
    ("idcard", "url", "身份证读卡器"),
    ("printer", "url", "票据打印机"),
    ("display", "url", "窗口显示屏"),
    ("evaluator", "url", "评价器"),
    ("scanner", "device", "扫描仪"),
]


@click.group(cls=ClerkGroup)
def config() -> None:
    """检查、查看和修改配置文件 clerk.toml。"""


def device_address(settings: conf.Settings, section: str, key: str) -> str:
    """How a device is set up, in words: 未配置, 模拟 or its address."""
    part = getattr(settings, section)
    address = getattr(part, key) or (part.folder if section == "scanner" else "")
    if not address:
        return "未配置"
    return "模拟（sim:）" if conf.simulated(address) else address


def findings(settings: conf.Settings) -> list[tuple[str, str, str, str, str]]:
    """(key, status, what, state, advice) for everything an admin should look at before
    opening a window: `key` and `status` (ok, missing, simulated) for scripts, the rest in
    Chinese for the admin."""
    clerk_id, enrolled = settings.window.clerk, bool(settings.platform.device_id)
    rows = [
        (
            "window.clerk",
            "ok" if clerk_id else "missing",
            "本窗口A岗",
            clerk_id or "未设置",
            "" if clerk_id else "clerk config set window.clerk 工号",
        ),
        (
            "platform",
            "ok" if enrolled else "missing",
            "平台",
            "已登记" if enrolled else "未登记",
            "" if enrolled else "clerk enrol --platform … ",
        ),
    ]
    rows += [
        _ca_row(section, path)
        for section in CA_FILES
        if (path := getattr(settings, section).ca_file)
    ]
    for section, key, name in DEVICES:
        state = device_address(settings, section, key)
        status = {"未配置": "missing", "模拟（sim:）": "simulated"}.get(state, "ok")
        advice = f"clerk config set {section}.{key} 地址" if status == "missing" else ""
        rows.append((f"{section}.{key}", status, name, state, advice))
    return rows


CA_FILES = {"platform": "平台CA证书", "hall": "叫号服务CA证书"}


def _ca_row(section: str, path: str) -> tuple[str, str, str, str, str]:
    """A configured CA file: there, and a certificate OpenSSL can load."""
    from offline.tls import CaFileError, check_ca_file

    key, name = f"{section}.ca_file", CA_FILES[section]
    try:
        return (key, "ok", name, check_ca_file(path), "")
    except CaFileError as error:
        return (key, "problem", name, "无法使用", f"{error}；clerk config set {key} 文件")


@config.command()
@JSON
@click.pass_context
def check(ctx: click.Context, as_json: bool) -> None:
    """检查配置文件：语法、未知配置项、取值；列出未配置的设备；检查单据模板和节假日安排。"""
    home = home_of(ctx)
    path = home / conf.CONFIG_FILE
    settings = conf.load(home)  # a ConfigError names the file, line and key
    if not settings.initialised:
        fail(f"数据目录 {home} 尚未初始化（没有 {path}），请先运行 clerk init")
    from clerk.papers.check import admin_rows  # templates: loaded for this command only

    rows = findings(settings) + admin_rows(home, settings)
    if as_json:
        echo_json(
            {
                "ok": True,
                "file": str(path),
                "items": [dict(zip(CHECK_FIELDS, row, strict=True)) for row in rows],
            }
        )
        return
    click.echo(f"配置正确：{path}")
    echo_table(["项目", "状态", "建议"], [row[2:] for row in rows])


def _shown(settings: conf.Settings) -> dict[str, Any]:
    data = settings.model_dump(mode="json")
    for section, key in SECRET_KEYS:
        if data[section][key]:
            data[section][key] = "***"
    return data


@config.command()
@JSON
@click.pass_context
def show(ctx: click.Context, as_json: bool) -> None:
    """显示生效的配置（含环境变量覆盖；密钥不显示）。"""
    settings = conf.load(home_of(ctx))
    if as_json:
        echo_json(_shown(settings))
        return
    click.echo(tomli_w.dumps(_shown(settings)), nl=False)


def _field(key: str) -> tuple[str, list[str], Any]:
    """The section, the path inside it and the field's type of a dotted key, or a refusal."""
    section, *rest = key.split(".")
    model = conf.Settings.model_fields.get(section)
    if model is None or not rest or not isinstance(model.annotation, type):
        fail(f"没有配置项 {key}（格式：节.项，如 printer.url；clerk config show 列出全部）")
    fields = model.annotation.model_fields if issubclass(model.annotation, BaseModel) else {}
    if rest[0] not in fields or (len(rest) > 1 and rest[0] != "keys"):
        fail(f"没有配置项 {key}（clerk config show 列出全部）")
    return section, rest, fields[rest[0]].annotation


def _value(text: str, annotation: Any) -> Any:
    """A command-line value as TOML would read it; text fields keep the text as typed."""
    if annotation is str:
        return text
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


@config.command("set")
@click.argument("key")
@click.argument("value")
@click.pass_context
def set_(ctx: click.Context, key: str, value: str) -> None:
    """修改一项配置，如：clerk config set printer.url tcp://192.168.1.50:9100"""
    home = home_of(ctx)
    section, path, annotation = _field(key)
    data = conf.file_data(home)
    target, name = data.setdefault(section, {}), path[0]
    if len(path) > 1:  # a binding id of [desk.keys] has dots of its own
        target, name, annotation = target.setdefault(path[0], {}), ".".join(path[1:]), str
    target[name] = _value(value, annotation)
    try:
        conf.Settings.model_validate(data)  # the file alone, without the environment
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        fail(f"{where}：{conf.reason(first)}（未修改）")
    if name == "ca_file" and value:  # the file itself, where it is set
        from offline.tls import CaFileError, check_ca_file

        try:
            target[name] = check_ca_file(target[name])
        except CaFileError as error:
            fail(f"{key}：{error}（未修改）")
    conf.write_atomic(home / conf.CONFIG_FILE, tomli_w.dumps(data).encode())
    log.info("config set %s", key)
    shown = "***" if (section, path[0]) in SECRET_KEYS else value
    click.echo(f"已修改 {key} = {shown}（{home / conf.CONFIG_FILE}）")
