"""Printer URLs to python-escpos transports, and the printer's status through DLE EOT.

`file:/dev/usb/lp0`, `tcp://192.168.1.50:9100`, `serial:/dev/ttyS0?baud=9600`,
`usb:0416:5011`. Status needs a link that answers: serial, network and USB do; a file does not,
and its status is "unknown".
"""

from __future__ import annotations

import socket
from urllib.parse import parse_qs, urlsplit

from devices.printer import capabilities

capabilities.load()  # before escpos reads its printer database: from a cache, not YAML

from escpos import printer as escpos_printer  # noqa: E402
from escpos.escpos import Escpos  # noqa: E402

from devices.errors import DeviceUnavailable  # noqa: E402
from devices.printer.states import READY, STATUS_TEXT  # noqa: F401, E402 (re-exported)


def open_printer(url: str, timeout: float = 5.0) -> Escpos:
    """Connect to the printer at `url`; raises `DeviceUnavailable` with a clear message."""
    printer = _transport(url, timeout)
    try:
        printer.open()
    except Exception as error:  # each transport raises its own library's errors
        raise DeviceUnavailable(f"无法连接打印机 {url}：{error}") from None
    return printer


def _transport(url: str, timeout: float) -> Escpos:
    parts = urlsplit(url)
    if parts.scheme == "file":
        return escpos_printer.File(devfile=parts.path or parts.netloc)
    if parts.scheme == "tcp" and parts.hostname:
        return _Network(parts.hostname, parts.port or 9100, timeout=timeout)
    if parts.scheme == "serial":
        baud = int(parse_qs(parts.query).get("baud", ["9600"])[0])
        return escpos_printer.Serial(
            devfile=parts.path, baudrate=baud, timeout=timeout, dsrdtr=False
        )
    if parts.scheme == "usb" and parts.path.count(":") == 1:
        vid, pid = parts.path.split(":")
        return escpos_printer.Usb(int(vid, 16), int(pid, 16), timeout=int(timeout * 1000))
    raise DeviceUnavailable(f"打印机地址格式不对：{url}（应为 file:、tcp://、serial: 或 usb:）")


class _Network(escpos_printer.Network):
    def open(self, raise_not_found: bool = True) -> None:
        """python-escpos 3.1 leaks its socket when the connection fails; this one does not."""
        self.device = socket.create_connection((self.host, self.port), timeout=self.timeout)


def bidirectional(url: str) -> bool:
    return urlsplit(url).scheme in ("tcp", "serial", "usb")


def _ask(printer: Escpos, n: int) -> int | None:
    """One DLE EOT n real-time status byte, or None when the printer does not answer."""
    try:
        printer._raw(b"\x10\x04" + bytes([n]))
        reply = printer._read()
    except Exception:  # a silent or half-broken link: the status is simply unknown
        return None
    if not reply:
        return None
    byte = reply[0] if isinstance(reply, bytes | bytearray) else int(reply[0])
    return byte if byte & 0x93 == 0x12 else None  # bits 1 and 4 set, 0 and 7 clear


def status(printer: Escpos, url: str) -> str:
    """One of `STATUS_TEXT`'s keys, from the printer's own answers."""
    if not bidirectional(url):
        return "unknown"
    offline_cause = _ask(printer, 2)
    if offline_cause is None:
        return "unknown"
    if offline_cause & 0x04:
        return "cover_open"
    paper = _ask(printer, 4)
    if offline_cause & 0x20 or (paper is not None and paper & 0x60 == 0x60):
        return "paper_out"
    if paper is not None and paper & 0x0C == 0x0C:
        return "near_end"
    printer_state = _ask(printer, 1)
    if printer_state is not None and printer_state & 0x08:
        return "offline"
    return "ok"
