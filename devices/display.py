"""The window's LED display: show a call, idle text, or 暂停服务.

LED strip controllers have no common protocol, so the real driver is a byte template a site
technician fills in from the vendor's sheet, e.g. `AA 55 {addr} {len} {text} {chk} 0D`:
`{addr}` the screen address, `{len}` / `{len16}` the text length in 1 or 2 (big-endian) bytes,
`{text}` the text in GBK or GB18030, `{chk}` / `{chk16}` the checksum (xor, sum8, sum16,
crc16-modbus, or none) of every byte before it from `checksum_from` on.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from functools import reduce
from typing import Protocol, runtime_checkable

import serial

from devices.errors import DeviceUnavailable

CALL = "{ticket} 请到{window}号窗口"
PAUSED = "暂停服务"


@runtime_checkable
class Display(Protocol):
    def show_call(self, ticket: str, window_no: int) -> None: ...
    def show_idle(self, text: str) -> None: ...
    def show_paused(self, reason: str = "") -> None: ...


def _crc16_modbus(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


CHECKSUMS = {
    "none": lambda data: 0,
    "xor": lambda data: reduce(lambda a, b: a ^ b, data, 0),
    "sum8": lambda data: sum(data) & 0xFF,
    "sum16": lambda data: sum(data) & 0xFFFF,
    "crc16-modbus": _crc16_modbus,
}


@dataclass(frozen=True)
class TemplateSettings:
    url: str  # /dev/ttyUSB1 (RS-485 adapter), socket://192.168.1.60:5005, loop://
    template: str = "AA 55 {addr} {len} {text} {chk} 0D"
    encoding: str = "gbk"
    checksum: str = "xor"
    checksum_from: int = 2  # skip the sync bytes
    address: int = 1
    baudrate: int = 9600
    pace: float = 0.05  # cheap controllers drop frames sent back to back


def build_frame(settings: TemplateSettings, message: str) -> bytes:
    """The bytes of one frame showing `message`."""
    body = message.encode(settings.encoding, errors="replace")
    out = bytearray()
    for token in re.findall(r"\{\w+\}|[0-9A-Fa-f]{2}", settings.template):
        if token == "{addr}":
            out.append(settings.address & 0xFF)
        elif token == "{len}":
            out.append(len(body) & 0xFF)
        elif token == "{len16}":
            out += len(body).to_bytes(2, "big")
        elif token == "{text}":
            out += body
        elif token in ("{chk}", "{chk16}"):
            value = CHECKSUMS[settings.checksum](bytes(out[settings.checksum_from :]))
            out += value.to_bytes(2, "big") if token == "{chk16}" else bytes([value & 0xFF])
        elif token.startswith("{"):
            raise ValueError(f"unknown placeholder {token} in display template")
        else:
            out.append(int(token, 16))
    return bytes(out)


class TemplateDisplay:
    """A real LED strip through a byte template over serial or TCP (fire and forget)."""

    def __init__(self, settings: TemplateSettings) -> None:
        self.settings = settings
        self._port: serial.Serial | None = None
        self._last = 0.0
        self._lock = threading.Lock()

    def _send(self, message: str) -> None:
        frame = build_frame(self.settings, message)
        with self._lock:
            wait = self.settings.pace - (time.monotonic() - self._last)
            if wait > 0:
                time.sleep(wait)
            try:
                if self._port is None:
                    self._port = serial.serial_for_url(
                        self.settings.url,
                        baudrate=self.settings.baudrate,
                        timeout=1,
                        write_timeout=2,
                    )
                self._port.write(frame)
                self._port.flush()
            except (serial.SerialException, OSError, ValueError) as error:
                self.close()
                raise DeviceUnavailable(f"窗口显示屏无法连接：{error}") from None
            self._last = time.monotonic()

    def show_call(self, ticket: str, window_no: int) -> None:
        self._send(CALL.format(ticket=ticket, window=window_no))

    def show_idle(self, text: str) -> None:
        self._send(text)

    def show_paused(self, reason: str = "") -> None:
        self._send(PAUSED)

    def close(self) -> None:
        if self._port is not None:
            self._port.close()
            self._port = None


@dataclass
class SimulatedDisplay:
    """What a display would show, kept for the demo's screen and the tests."""

    shown: list[str] = field(default_factory=list)

    @property
    def current(self) -> str:
        return self.shown[-1] if self.shown else ""

    def show_call(self, ticket: str, window_no: int) -> None:
        self.shown.append(CALL.format(ticket=ticket, window=window_no))

    def show_idle(self, text: str) -> None:
        self.shown.append(text)

    def show_paused(self, reason: str = "") -> None:
        self.shown.append(PAUSED)
