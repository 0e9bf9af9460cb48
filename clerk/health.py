"""`clerk device list/check`: what each device is, and whether it works the way work will use it.

A table of rows, one per device: its name, where its address is in the config, and a probe
that opens it as the desk would (the serial port with the configured settings, the printer's
status, a sound through the configured player, SANE's own listing). A failure is told with
its likely cause and the fix: the dialout group, a udev rule, a missing package, an address in
the wrong format. Adding a device is adding a row to `ROWS`.
"""

from __future__ import annotations

import dataclasses
import errno
import grp
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from clerk import config
from clerk.services import NOT_CONFIGURED, Services, voice_settings
from devices.errors import DeviceError

OK, FAILED, SIMULATED = "正常", "异常", "模拟"
UDEV_RULES = "/etc/udev/rules.d/99-window-clerk.rules"


@dataclass(frozen=True)
class Finding:
    """One device's health, as the admin reads it."""

    device: str
    name: str
    address: str
    state: str  # 正常, 异常, 未配置 or 模拟
    message: str
    fix: str = ""

    @property
    def failed(self) -> bool:
        return self.state == FAILED


@dataclass(frozen=True)
class Row:
    device: str
    name: str
    address: Callable[[config.Settings], str]  # "" when not configured
    key: str  # where to set the address, for the 未配置 advice
    probe: Callable[[Services], str]  # the message when it works; raises when not
    detail: Callable[[config.Settings], str]


class Trouble(Exception):
    """A probe's failure with its likely cause and its fix."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.fix = fix


# --- the causes of a failure to open a device ---------------------------------------------


def _os_error(error: BaseException | None) -> OSError | None:
    """The operating system's error under a driver's error, if there is one."""
    seen = 0
    while error is not None and seen < 5:
        if isinstance(error, OSError) and error.errno:
            return error
        if error.args and isinstance(error.args[0], int) and len(error.args) > 1:
            return OSError(error.args[0], str(error.args[1]))
        error = error.__cause__ or error.__context__
        seen += 1
    return None


def node_path(address: str) -> str:
    """The device file of an address (`/dev/ttyUSB0`, `serial:/dev/ttyS0?…`, `file:/dev/…`)."""
    if address.startswith("/"):
        return address
    parts = urlsplit(address)
    if parts.scheme in ("file", "serial") and (parts.path or parts.netloc).startswith("/"):
        return parts.path or parts.netloc
    return ""


def _group_of(path: str) -> str:
    try:
        return grp.getgrgid(os.stat(path).st_gid).gr_name
    except (OSError, KeyError):
        return "dialout"


def fix_for_node(path: str) -> tuple[str, str] | None:
    """Why a device file cannot be opened, and what to do: checked before opening it."""
    if not path:
        return None
    if not os.path.exists(path):
        return (
            f"设备文件 {path} 不存在：设备未接好，或地址写错",
            "检查连接线和电源；ls /dev/serial/by-id/ 或 ls /dev/usb/ 查看正确地址",
        )
    if not os.access(path, os.R_OK | os.W_OK):
        group = _group_of(path)
        return (
            f"没有权限打开 {path}（属于 {group} 组）",
            f"sudo usermod -aG {group} $(id -un) 后重新登录；或安装 udev 规则 {UDEV_RULES}",
        )
    return None


def explain(error: BaseException, address: str) -> Trouble:
    """A driver's failure as cause and fix, from the OS error underneath where there is one."""
    os_error = _os_error(error)
    path = node_path(address)
    if os_error is not None and os_error.errno in (errno.EACCES, errno.EPERM):
        group = _group_of(path) if path else "dialout"
        return Trouble(
            f"{error}（没有权限）",
            f"sudo usermod -aG {group} $(id -un) 后重新登录；或安装 udev 规则 {UDEV_RULES}",
        )
    if os_error is not None and os_error.errno == errno.EBUSY:
        return Trouble(f"{error}（设备被其他程序占用）", "关闭占用它的程序（如另一个 clerk desk）")
    if os_error is not None and os_error.errno in (errno.ENOENT, errno.ENODEV, errno.ENXIO):
        return Trouble(f"{error}（设备不存在）", "检查连接线和电源，以及地址是否写对")
    if os_error is not None and os_error.errno == errno.ECONNREFUSED:
        return Trouble(f"{error}（连接被拒绝）", "检查设备电源、IP地址和端口")
    return Trouble(str(error), "检查连接线、电源和地址；必要时重新插拔设备")


def _guarded(address: str, open_device: Callable[[], str]) -> str:
    """Open a device only after its device file was checked; turn failures into Trouble."""
    before = fix_for_node(node_path(address))
    if before:
        raise Trouble(*before)
    try:
        return open_device()
    except Trouble:
        raise
    except (DeviceError, OSError) as error:
        raise explain(error, address) from None


# --- the probes: each opens its device as work will -----------------------------------------


def _idcard(svc: Services) -> str:
    return _guarded(svc.settings.idcard.url, lambda: svc.reader().check())


PRINTER_FIX = {
    "paper_out": "装纸",
    "cover_open": "合上打印机上盖",
    "offline": "按打印机的联机键，或检查打印机面板",
}


def _printer(svc: Services) -> str:
    url = svc.settings.printer.url
    scheme = urlsplit(url).scheme
    if not config.simulated(url) and scheme not in ("file", "tcp", "serial", "usb"):
        raise Trouble(
            f"打印机地址格式不对：{url}",
            "写成 tcp://IP:9100、file:/dev/usb/lp0、serial:/dev/ttyS0?baud=9600 或 usb:VID:PID",
        )
    if scheme == "usb":
        _usb_ready()

    def status() -> str:
        from devices.printer.states import READY, STATUS_TEXT
        from devices.printer.transport import open_printer

        state = svc.printer().status()
        if state == "unreachable":
            open_printer(url).close()  # raises the driver's own reason
        if state not in READY:
            raise Trouble(STATUS_TEXT[state], PRINTER_FIX.get(state, "检查打印机"))
        return STATUS_TEXT[state]

    return _guarded(url, status)


def _usb_ready() -> None:
    try:
        import usb.core
    except ImportError:
        raise Trouble(
            "缺少 pyusb，无法使用 USB 打印机", "pip install pyusb（安装包已自带）"
        ) from None
    import usb.backend.libusb1

    if usb.backend.libusb1.get_backend() is None:
        raise Trouble("缺少 libusb，无法使用 USB 打印机", "sudo apt-get install libusb-1.0-0")


def _display(svc: Services) -> str:
    def show() -> str:
        svc.display().show_idle("欢迎光临")
        return "已发送待机画面，请看显示屏"

    return _guarded(svc.settings.display.url, show)


def _voice(svc: Services) -> str:
    from devices.voice import Announcer

    cfg = svc.settings.voice
    if cfg.engine == "espeak" and not shutil.which("espeak-ng"):
        raise Trouble("未安装 espeak-ng，无法语音叫号", "sudo apt-get install espeak-ng")
    if cfg.engine == "clips" and not Path(cfg.clips_dir).is_dir():
        raise Trouble(
            f"录音片段目录不存在：{cfg.clips_dir}", "clerk config set voice.clips_dir 目录"
        )
    if not cfg.output and not (shutil.which("aplay") or shutil.which("paplay")):
        raise Trouble(
            "没有可用的播放程序（aplay 或 paplay）",
            "sudo apt-get install alsa-utils；或 clerk config set voice.output 目录（只写WAV文件）",
        )
    announcer = Announcer(dataclasses.replace(voice_settings(cfg), repeat=1))
    item = announcer.say("语音测试")
    announcer.close()
    if item.error:
        raise Trouble(item.error, "检查音箱、音量和声卡（aplay -l 列出声卡）")
    return f"已写入 {item.wav}" if cfg.output else "已播放“语音测试”，请确认听到"


def _evaluator(svc: Services) -> str:
    from devices.evaluator import SerialEvaluator

    def probe() -> str:
        evaluator = svc.evaluator()
        if isinstance(evaluator, SerialEvaluator):
            evaluator._open()  # the port, with the configured speed, as a rating opens it
        return "串口已打开"

    return _guarded(svc.settings.evaluator.url, probe)


def _scanner(svc: Services) -> str:
    from devices.scanner.folder import ScanFolder
    from devices.scanner.sane import SaneScanner

    if not shutil.which("scanimage") and not svc.settings.scanner.folder:
        raise Trouble("未安装 scanimage，无法扫描", "sudo apt-get install sane-utils")
    scanner = svc.scanner()
    if isinstance(scanner, ScanFolder):
        if not os.access(scanner.directory, os.R_OK | os.W_OK | os.X_OK):
            raise Trouble(f"扫描文件夹 {scanner.directory} 不存在或无权限", "建立该目录并授权")
        return f"扫描文件夹 {scanner.directory}"
    if not isinstance(scanner, SaneScanner):
        return "扫描仪已就绪"
    try:
        return scanner.check()
    except DeviceError as error:
        raise Trouble(
            str(error),
            "scanimage -L 列出扫描仪；USB扫描仪需加入scanner组：sudo usermod -aG scanner $(id -un)",
        ) from None


ROWS: list[Row] = [
    Row(
        "idcard",
        "身份证读卡器",
        lambda s: s.idcard.url,
        "idcard.url",
        _idcard,
        lambda s: f"{s.idcard.baudrate} 波特",
    ),
    Row(
        "printer",
        "票据打印机",
        lambda s: s.printer.url,
        "printer.url",
        _printer,
        lambda s: f"{s.printer.paper_mm}mm，{s.printer.encoding}，二维码{s.printer.qr}",
    ),
    Row(
        "display",
        "窗口显示屏",
        lambda s: s.display.url,
        "display.url",
        _display,
        lambda s: f"{s.display.encoding}，校验{s.display.checksum}",
    ),
    Row(
        "voice",
        "语音叫号",
        lambda s: "" if s.voice.engine == "none" else (s.voice.output or "声卡"),
        "voice.engine",
        _voice,
        lambda s: f"{s.voice.engine}，重复{s.voice.repeat}次",
    ),
    Row(
        "evaluator",
        "评价器",
        lambda s: s.evaluator.url,
        "evaluator.url",
        _evaluator,
        lambda s: f"{s.evaluator.baudrate} 波特",
    ),
    Row(
        "scanner",
        "扫描仪",
        lambda s: s.scanner.folder or s.scanner.device,
        "scanner.device",
        _scanner,
        lambda s: f"{s.scanner.resolution}dpi，{s.scanner.mode}，{s.scanner.source}",
    ),
]


def listing(settings: config.Settings) -> list[tuple[str, str, str, str]]:
    """(device, name, address, settings) without opening anything."""
    rows = []
    for row in ROWS:
        address = row.address(settings)
        shown = address or NOT_CONFIGURED
        if address and config.simulated(address):
            shown = "模拟（sim:）"
        rows.append((row.device, row.name, shown, row.detail(settings) if address else ""))
    return rows


def check(svc: Services) -> list[Finding]:
    """Every device, opened as work will open it."""
    return [check_one(row, svc) for row in ROWS]


def check_one(row: Row, svc: Services) -> Finding:
    address = row.address(svc.settings)
    if not address:
        fix = f"clerk config set {row.key} 地址"
        return Finding(row.device, row.name, "", NOT_CONFIGURED, f"{row.name}未配置", fix)
    try:
        message = row.probe(svc)
    except Trouble as trouble:
        return Finding(row.device, row.name, address, FAILED, str(trouble), trouble.fix)
    except DeviceError as error:
        cause = explain(error, address)
        return Finding(row.device, row.name, address, FAILED, str(cause), cause.fix)
    state = SIMULATED if config.simulated(address) else OK
    return Finding(row.device, row.name, address, state, message)
