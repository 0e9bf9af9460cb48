"""The citizen's evaluator (评价器): a keypad on the citizen's side of the desk.

The desk asks for a rating by sending `?` and a line end; the keypad answers one ASCII digit,
`1` 非常满意 … `5` 非常不满意 (GB/T 39046's order). A rating can only come from the keypad,
never from the clerk's keyboard. The simulator is a pty that speaks the same bytes, and its
`press` stands for the citizen's finger.
"""

from __future__ import annotations

import contextlib
import os
import select
import time
import tty
from collections.abc import Callable

import serial

from devices.errors import DeviceUnavailable

ASK = b"?\r\n"
LEVELS = {
    b"1": "very_satisfied",
    b"2": "satisfied",
    b"3": "basically_satisfied",
    b"4": "dissatisfied",
    b"5": "very_dissatisfied",
}


class SerialEvaluator:
    def __init__(self, url: str, baudrate: int = 9600) -> None:
        self.url, self.baudrate = url, baudrate
        self._port: serial.Serial | None = None

    def _open(self) -> serial.Serial:
        if self._port is None:
            try:
                self._port = serial.serial_for_url(self.url, self.baudrate, timeout=0.2)
            except (OSError, serial.SerialException) as error:
                raise DeviceUnavailable("评价器未连接，请检查连接线") from error
        return self._port

    def check(self) -> str:
        """The keypad's line opens (`DeviceUnavailable` when not): for `clerk device check`
        and the desk's status bar."""
        self._open()
        return f"评价器已连接（{self.url}）"

    def ask(self, stop: Callable[[], bool]) -> str | None:
        """Light the keypad and wait for a press; the level's name, or None once `stop()`."""
        port = self._open()
        try:
            port.reset_input_buffer()
            port.write(ASK)
            while not stop():
                key = port.read(1)
                if key in LEVELS:
                    return LEVELS[key]
        except (OSError, serial.SerialException) as error:
            self.close()
            raise DeviceUnavailable("评价器连接中断，请检查连接线") from error
        return None

    def close(self) -> None:
        if self._port is not None:
            self._port.close()
            self._port = None


class EvaluatorSimulator:
    """A keypad on a pty; `press(1..5)` is the citizen rating."""

    def __init__(self) -> None:
        self._master, self._slave = os.openpty()
        tty.setraw(self._master)
        tty.setraw(self._slave)
        self.url = os.ttyname(self._slave)

    def asked(self, timeout: float = 5.0) -> bool:
        """Whether the desk lit the keypad (has sent `?`) within `timeout`."""
        end, seen = time.monotonic() + timeout, b""
        while time.monotonic() < end and ASK not in seen:
            ready, _, _ = select.select([self._master], [], [], 0.05)
            if ready:
                seen += os.read(self._master, 64)
        return ASK in seen

    def press(self, level: int) -> None:
        os.write(self._master, str(level).encode())

    def close(self) -> None:
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
