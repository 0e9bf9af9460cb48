"""`clerk device`: list and check the window's devices, read a card, print a test receipt,
and run the simulators that stand in for hardware."""

from __future__ import annotations

import contextlib
import dataclasses
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import click

from clerk import config, health
from clerk.cli.base import ClerkGroup, actor, echo_json, echo_table, fail, home_of, services
from clerk.services import NOT_CONFIGURED, NoDisplay, reader_settings, voice_settings
from devices.errors import DeviceNotConfigured
from devices.idcard import card as cards
from devices.idcard.reader import SamReader
from devices.idcard.simulator import Faults, SamSimulator, load_cards, sample_cards
from devices.printer.document import QR, Columns, Document, Feed, Field, Line, Rule
from devices.printer.preview import to_text
from devices.printer.simulator import PrinterSimulator
from devices.printer.states import STATUS_TEXT
from devices.scanner.folder import ScanFolder
from devices.scanner.pdf import sha256, to_pdf
from devices.scanner.sane import FEEDER, SaneScanner
from devices.voice import Announcer, duration
from offline.privacy import mask_id

JSON = click.option("--json", "as_json", is_flag=True, help="以JSON输出")


@click.group(cls=ClerkGroup)
def device() -> None:
    """读卡器、打印机等外设。"""


def _settings(ctx: click.Context) -> config.Settings:
    return config.load(home_of(ctx))


@device.command("list")
@JSON
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """列出配置的外设（未配置、模拟或地址）。"""
    settings = _settings(ctx)
    rows = health.listing(settings)
    if as_json:
        addresses = [row.address(settings) for row in health.ROWS]
        echo_json(
            [
                dict(zip(("device", "name", "url", "settings"), r, strict=True))
                | {"address": address, "status": _configured(address)}
                for r, address in zip(rows, addresses, strict=True)
            ]
        )
        return
    echo_table(["设备", "名称", "地址", "参数"], rows)


@device.command()
@JSON
@click.pass_context
def check(ctx: click.Context, as_json: bool) -> None:
    """逐个打开外设检查（与办理业务时的打开方式相同），异常时给出原因和处理办法。

    退出码：0 没有异常（未配置不算异常）；1 有设备异常。"""
    found = health.check(services(ctx, initialised=False))
    if as_json:
        echo_json([dataclasses.asdict(f) | {"status": STATUS[f.state]} for f in found])
    else:
        echo_table(
            ["设备", "状态", "说明", "处理办法"],
            [(f.name, f.state, f.message, f.fix) for f in found],
        )
    if any(f.failed for f in found):
        ctx.exit(1)


# A device's state as a code for scripts, beside the Chinese word the admin reads.
STATUS = {
    health.OK: "ok",
    health.FAILED: "failed",
    health.SIMULATED: "simulated",
    NOT_CONFIGURED: "unconfigured",
}


def _configured(address: str) -> str:
    if not address:
        return "unconfigured"
    return "simulated" if config.simulated(address) else "configured"


@device.group(cls=ClerkGroup)
def idcard() -> None:
    """身份证读卡器。"""


@idcard.command()
@click.option("--port", help="读卡器地址：/dev/ttyUSB0、socket://主机:端口 等（默认取配置）")
@click.option("--baud", type=int, help="波特率（默认取配置，通常115200）")
@click.option("--full", is_flag=True, help="显示完整证件号码（记入审计日志）")
@JSON
@click.pass_context
def read(ctx: click.Context, port: str | None, baud: int | None, full: bool, as_json: bool) -> None:
    """读一次证件并显示。"""
    s = _settings(ctx)
    url = port or s.idcard.url
    if not url:
        fail("未配置读卡器：请用 --port 指定，或在配置文件 [idcard] url 中设置")
    chosen = reader_settings(s.idcard, url)
    with SamReader(dataclasses.replace(chosen, baudrate=baud or chosen.baudrate)) as reader:
        found = reader.read_card()
    if found is None:
        fail("读卡器上没有证件，请放好证件后重试")
    if full and s.initialised:
        services(ctx).store.audit(actor(), "idcard.reveal", found.id_number)
    data = _card_fields(found, full, s.idcard.photo_decoder)
    if as_json:  # the card's codes beside the Chinese names, for scripts
        codes = {"kind_code": found.kind, "sex_code": found.sex, "nation_code": found.nation}
        echo_json(data | codes | {"is_expired": found.expired()})
        return
    for key, value in data.items():
        if value:
            click.echo(f"{_LABELS[key]}：{value}")


_LABELS = {
    "kind": "证件类型",
    "name": "姓名",
    "name_en": "英文姓名",
    "sex": "性别",
    "nation": "民族",
    "birth": "出生日期",
    "address": "住址",
    "new_address": "追加住址",
    "id_number": "证件号码",
    "authority": "签发机关",
    "valid": "有效期限",
    "nationality": "国籍",
    "pass_number": "通行证号码",
    "expired": "状态",
    "photo": "照片",
}


def _card_fields(card: cards.IdCard, full: bool, decoder: str) -> dict[str, str]:
    photo = cards.decode_photo(card.photo, decoder)
    return {
        "kind": cards.KIND_NAMES[card.kind],
        "name": card.name,
        "name_en": card.english_name,
        "sex": card.sex_name,
        "nation": card.nation_name,
        "birth": card.birth,
        "address": card.address,
        "new_address": card.new_address,
        "id_number": card.id_number if full else mask_id(card.id_number),
        "authority": card.authority,
        "valid": f"{card.valid_from}-{card.valid_to}",
        "nationality": card.nationality,
        "pass_number": card.pass_number,
        "expired": "已过期" if card.expired() else "有效",
        "photo": f"已解码（{len(photo)}字节）" if photo else cards.PHOTO_NEEDS_VENDOR,
    }


def sample_receipt() -> Document:
    return Document(
        "打印测试",
        (
            Line("打印测试", "center", bold=True, big=True),
            Line("便民服务中心窗口客户端", "center"),
            Rule(),
            Field("中文标点", "（1）：。，、；“引号”《书名》"),
            Field("金额", "￥12.00 ¥3.50"),
            Columns("左对齐文字", "右对齐"),
            Line("一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十自动换行"),
            Rule("="),
            QR("window-clerk 打印测试"),
            Line("扫码应得：window-clerk 打印测试", "center"),
            Feed(2),
        ),
    )


@device.command("print-test")
@click.option(
    "--printer",
    "url",
    help="打印机地址：file:路径、tcp://主机:端口、"
    "serial:/dev/ttyS0?baud=9600、usb:VID:PID（默认取配置）",
)
@click.option("--paper", type=click.Choice(["58", "80"]), help="纸宽（毫米，默认取配置）")
@click.pass_context
def print_test(ctx: click.Context, url: str | None, paper: str | None) -> None:
    """打印一张测试回执（中文、全角标点、二维码、切纸）。"""
    svc = services(ctx, initialised=False)
    paper_settings = svc.paper(int(paper) if paper else None)
    doc = sample_receipt()
    result = svc.print_once(doc, url, paper_settings)  # a test page is not kept for later
    click.echo(to_text(doc, paper_settings.columns, paper_settings.codec))
    if result.waiting:
        fail(f"测试页未能打印：{STATUS_TEXT[result.status].split('（')[0]}")
    where = svc.home / "printer-simulator"
    click.echo(
        result.message
        + (f"（模拟打印机，输出在 {where}）" if svc.printer_simulator and not url else "")
    )


@device.command()
@click.argument("text")
@click.option("--out", type=click.Path(file_okay=False), help="写成WAV文件到此目录，不播放")
@click.pass_context
def say(ctx: click.Context, text: str, out: str | None) -> None:
    """用叫号语音说一段话，如：clerk device say 请A零零一号到3号窗口办理"""
    cfg = _settings(ctx).voice
    announcer = Announcer(
        dataclasses.replace(voice_settings(cfg), repeat=1, output=out or cfg.output)
    )
    item = announcer.say(text)
    announcer.close()
    if item.error:
        fail(item.error)
    click.echo(f"已生成 {item.wav}（{duration(item.wav):.1f}秒）" if item.wav else "已播报")


@device.command("display-test")
@click.option("--window", "window_no", type=click.IntRange(1, 99), help="窗口号（默认取配置）")
@click.pass_context
def display_test(ctx: click.Context, window_no: int | None) -> None:
    """在窗口显示屏上显示一个测试叫号。"""
    svc = services(ctx, initialised=False)
    screen = svc.display()
    if isinstance(screen, NoDisplay):
        raise DeviceNotConfigured("窗口显示屏", "[display] url")
    screen.show_call("A001", window_no or svc.settings.window.no)
    shown = getattr(screen, "current", None)
    click.echo(f"模拟显示屏显示：{shown}" if shown else "已发送到显示屏")


@device.command()
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="输出PDF文件")
@click.option("--pages", type=click.IntRange(1, 500), help="送纸器扫描的页数（默认全部）")
@click.option("--feeder", is_flag=True, help="使用自动送纸器")
@click.option(
    "--wait", type=float, default=60, show_default=True, help="扫描到文件夹时最多等待的秒数"
)
@click.pass_context
def scan(ctx: click.Context, out: str, pages: int | None, feeder: bool, wait: float) -> None:
    """扫描材料并合成一个PDF。"""
    svc = services(ctx, initialised=False)
    scanner = svc.scanner()
    if isinstance(scanner, ScanFolder):
        scanner.timeout = wait
    elif feeder and isinstance(scanner, SaneScanner):
        scanner = SaneScanner(dataclasses.replace(scanner.settings, source=FEEDER))
    found = scanner.scan(pages)
    pdf = to_pdf(found)
    Path(out).write_bytes(pdf)
    click.echo(f"已扫描 {len(found)} 页，写入 {out}（{len(pdf)} 字节，SHA-256 {sha256(pdf)}）")


@device.group(cls=ClerkGroup)
def simulate() -> None:
    """启动外设模拟器（开发、演示和测试用）。"""


def _serve_simulator(
    where: str, started: str, key: Callable[[str], None], close: Callable[[], None]
) -> None:
    """Print where the simulator listens (stdout, for scripts), then run it: with a terminal,
    each line typed is a key for `key` until `q`; without one, until SIGTERM or Ctrl-C."""
    click.echo(where)
    click.echo(started, err=True)
    sys.stdout.flush()
    try:
        if not sys.stdin.isatty():
            _wait_for_interrupt()
            return
        while (line := sys.stdin.readline()) and line.strip() != "q":
            key(line.strip())
    finally:
        close()


def _wait_for_interrupt() -> None:
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    with contextlib.suppress(KeyboardInterrupt):
        done.wait()


@simulate.command("idcard")
@click.option("--link", type=click.Path(dir_okay=False), help="在此路径建立指向模拟串口的链接")
@click.option("--tcp", "tcp_port", type=int, help="改为在本机TCP端口上提供服务")
@click.option(
    "--cards",
    "cards_file",
    type=click.Path(exists=True, dir_okay=False),
    help="证件JSON文件（默认内置样例证件）",
)
@click.option("--place", type=int, help="启动时放入第几张证件（从0起）；不给则读卡器上无卡")
@click.option("--bad-checksum", type=int, default=0, help="故障：接下来N个应答校验和错误")
@click.option("--delay", type=float, default=0.0, help="故障：每个应答延迟的秒数")
@click.option("--lift-during-read", is_flag=True, help="故障：读卡中途拿走证件")
@click.option("--trickle", is_flag=True, help="故障：应答逐字节发送，前面夹带杂乱数据")
def simulate_idcard(
    link: str | None,
    tcp_port: int | None,
    cards_file: str | None,
    place: int | None,
    bad_checksum: int,
    delay: float,
    lift_during_read: bool,
    trickle: bool,
) -> None:
    """模拟读卡器：回车放入下一张证件，输入 l 拿走证件，q 退出。"""
    deck = load_cards(cards_file) if cards_file else sample_cards()
    sim = SamSimulator(deck, Faults(bad_checksum, delay, trickle, lift_during_read))
    if place is not None:
        sim.place(place)
    if tcp_port is not None:
        host, port = sim.serve_tcp(port=tcp_port)
        where = f"socket://{host}:{port}"
    else:
        where = sim.serve_pty(link)

    def key(line: str) -> None:
        sim.lift()
        if line == "l":
            click.echo("已拿走证件", err=True)
            return
        placed = sim.place()
        click.echo(f"已放入：{placed.name} {mask_id(placed.id_number)}", err=True)

    _serve_simulator(where, f"模拟读卡器已启动：{where}（{len(deck)}张证件）", key, sim.close)


@simulate.command("printer")
@click.option("--port", type=int, default=0, help="TCP端口（默认自动选择）")
@click.option("--out", type=click.Path(file_okay=False), help="把每张票据的字节和预览存到此目录")
@click.option("--paper-out", is_flag=True, help="模拟缺纸")
def simulate_printer(port: int, out: str | None, paper_out: bool) -> None:
    """模拟网络票据打印机：接收ESC/POS数据，应答状态查询；输入 p 切换缺纸，q 退出。"""
    sim = PrinterSimulator(Path(out) if out else None)
    sim.paper_out = paper_out
    host, bound = sim.serve(port=port)

    def key(line: str) -> None:
        if line == "p":
            sim.paper_out = not sim.paper_out
            click.echo("缺纸" if sim.paper_out else "已装纸", err=True)

    started = "模拟打印机已启动" + ("（缺纸）" if paper_out else "")
    _serve_simulator(f"tcp://{host}:{bound}", started, key, sim.close)
