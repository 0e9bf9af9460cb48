"""The ID card reader driver: find, select, read over any pyserial URL.

Synchronous, with a deadline on every exchange. A garbled or failed reply is retried; an
unplugged reader raises `DeviceUnavailable` and the next call opens the port again, so a clerk
who plugs it back in just reads again. "No card" is a state (`None`), not an error.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import serial

from devices.errors import CardReadError, DeviceError, DeviceTimeout, DeviceUnavailable
from devices.idcard import card as cards
from devices.idcard.frame import (
    FIND,
    FOUND,
    NO_CONTENT,
    OK,
    READ,
    READ_ADDRESS,
    SELECT,
    STATUS,
    STATUS_TEXT,
    BadFrame,
    Frame,
    FrameReader,
    command,
)

log = logging.getLogger("devices.idcard")


@dataclass
class ReaderSettings:
    url: str  # /dev/ttyUSB0, socket://host:port, rfc2217://host:port, loop://
    baudrate: int = 115200
    timeout: float = 3.0  # per exchange: the card's cryptography takes up to a second or two
    retries: int = 2  # resends after a garbled reply or a failed read


class SamReader:
    """One reader on one port. Not thread-safe: give it to one worker."""

    def __init__(self, settings: ReaderSettings) -> None:
        self.settings = settings
        self._port: serial.Serial | None = None
        self._frames = FrameReader()

    # --- the port --------------------------------------------------------------------------

    def _open(self) -> serial.Serial:
        if self._port is None:
            url = self.settings.url
            # a device path is opened exclusively; URL handlers (loop://, socket://) refuse it
            exclusive = None if "://" in url else True
            try:
                self._port = serial.serial_for_url(
                    url, baudrate=self.settings.baudrate, timeout=0.05, exclusive=exclusive
                )
            except (serial.SerialException, OSError, ValueError) as error:
                raise DeviceUnavailable(f"无法打开读卡器 {url}：{error}") from None
            self._frames = FrameReader()
        return self._port

    def close(self) -> None:
        if self._port is not None:
            # pyserial's socket:// close() skips closing its socket when shutdown() fails on a
            # dead connection, so close that socket ourselves.
            sock = getattr(self._port, "_socket", None)
            with contextlib.suppress(serial.SerialException, OSError):
                self._port.close()
            if sock is not None:
                sock.close()
            self._port = None

    def __enter__(self) -> SamReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- exchanges -------------------------------------------------------------------------

    def exchange(self, cmd: tuple[int, int]) -> Frame:
        """Send a command and return the reader's reply, resending after a garbled one."""
        for attempt in range(self.settings.retries + 1):
            reply = self._once(cmd)
            if isinstance(reply, Frame) and reply.sw3 not in (0x10, 0x11):
                return reply
            log.warning(
                "reader reply unusable (%s), attempt %d",
                getattr(reply, "reason", STATUS_TEXT.get(getattr(reply, "sw3", 0), "")),
                attempt + 1,
            )
        raise CardReadError("读卡器通信数据反复出错，请检查连接线后重试")

    def _once(self, cmd: tuple[int, int]) -> Frame | BadFrame:
        port = self._open()
        try:
            port.reset_input_buffer()
            port.write(command(*cmd))
            deadline = time.monotonic() + self.settings.timeout
            while time.monotonic() < deadline:
                chunk = port.read(max(1, port.in_waiting))
                if chunk:
                    found = self._frames.feed(chunk)
                    if found:
                        return found[0]
        except (serial.SerialException, OSError) as error:
            self.close()
            raise DeviceUnavailable(f"读卡器连接中断：{error}") from None
        self._frames = FrameReader()
        raise DeviceTimeout("读卡器没有响应（超时），请检查连接和电源")

    # --- what a clerk needs ----------------------------------------------------------------

    def check(self) -> str:
        """The reader module's self-check, as a Chinese status line."""
        reply = self.exchange(STATUS)
        if reply.sw3 != OK:
            raise DeviceError(f"读卡器状态异常：{STATUS_TEXT.get(reply.sw3, hex(reply.sw3))}")
        return "读卡器正常"

    def card_present(self) -> bool:
        return self.exchange(FIND).sw3 == FOUND

    def read_card(self) -> cards.IdCard | None:
        """Read the card on the reader, or None when there is none."""
        failed = False
        for _ in range(self.settings.retries + 1):
            if self.exchange(FIND).sw3 != FOUND:
                if failed:  # lifted in the middle of a read
                    break
                return None
            if self.exchange(SELECT).sw3 != OK:
                continue  # lifted between find and select: try again from find
            reply = self.exchange(READ)
            if reply.sw3 == OK:
                return self._with_new_address(self._card(reply.data))
            log.warning("card read failed: %s", STATUS_TEXT.get(reply.sw3, hex(reply.sw3)))
            failed = True
        raise CardReadError()

    def _with_new_address(self, card: cards.IdCard) -> cards.IdCard:
        """Ask for the 追加住址 (30 03) after the base read. A card without one answers 91; a
        failure here keeps the card as read (its printed address) and is only logged."""
        if card.kind not in ("resident", "hmt"):  # foreign cards carry no appended address
            return card
        try:
            reply = self.exchange(READ_ADDRESS)
        except DeviceError as error:
            log.warning("appended address not read: %s", error)
            return card
        if reply.sw3 == OK and reply.data:
            return dataclasses.replace(card, new_address=cards.parse_address(reply.data))
        if reply.sw3 != NO_CONTENT:
            log.warning("appended address: %s", STATUS_TEXT.get(reply.sw3, hex(reply.sw3)))
        return card

    @staticmethod
    def _card(data: bytes) -> cards.IdCard:
        text_len, photo_len = int.from_bytes(data[:2], "big"), int.from_bytes(data[2:4], "big")
        if text_len != cards.TEXT_BYTES or len(data) < 4 + text_len + photo_len:
            raise CardReadError("证件数据长度不对，请重新放卡")
        text = data[4 : 4 + text_len]
        photo = data[4 + text_len : 4 + text_len + photo_len]
        return cards.parse(text, photo)

    def poll(
        self, stop: Callable[[], bool], interval: float = 0.5
    ) -> Iterator[cards.IdCard | DeviceError]:
        """One card per placing, and each streak of errors once.

        A real reader answers "no card" after a successful read until the card is lifted and put
        back; a reader that does not is covered too, since the same card is not reported again
        until "no card" was seen. Errors do not end polling: a reader unplugged for a while
        resumes by itself when it is back.
        """
        failing, on_reader = False, None
        while not stop():
            try:
                found = self.read_card()
                failing = False
            except DeviceError as error:
                if not failing:
                    yield error
                failing, found = True, None
            if found is None:
                on_reader = None if not failing else on_reader
            elif found.id_number != on_reader:
                on_reader = found.id_number
                yield found
            time.sleep(interval)
