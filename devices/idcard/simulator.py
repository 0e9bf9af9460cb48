"""A simulated ID card reader that speaks the SAM protocol over a pty or a TCP port.

It behaves like a real reader: after a successful read it answers "no card" until the card is
lifted and put back. Fault switches: no card, corrupted checksums, slow replies, replies in
1-byte pieces with garbage before them, a card lifted in the middle of a read, and unplugging.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import socket
import threading
import time
import tty
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from devices.idcard import card as cards
from devices.idcard.frame import (
    FIND,
    FOUND,
    NO_CARD,
    NO_CONTENT,
    OK,
    READ,
    READ_ADDRESS,
    RESET,
    SAM_ID,
    SELECT,
    STATUS,
    Frame,
    FrameReader,
    response,
)


def sample_cards() -> list[cards.IdCard]:
    """The packaged sample cards: one of each layout, and an expired one."""
    text = resources.files("devices.idcard").joinpath("sample_cards.json").read_text("utf-8")
    return [cards.from_json(entry) for entry in json.loads(text)]


def load_cards(path: str | Path) -> list[cards.IdCard]:
    return [cards.from_json(entry) for entry in json.loads(Path(path).read_text("utf-8"))]


@dataclass
class Faults:
    """Switches a test or a demo flips while the simulator runs."""

    bad_checksum: int = 0  # corrupt the checksum of the next N replies
    delay: float = 0.0  # seconds before each reply
    trickle: bool = False  # send replies one byte at a time, with garbage before them
    lift_during_read: bool = False  # the card leaves the reader while being read
    silent: bool = False  # answer nothing at all
    no_appended_address: bool = False  # older firmware: 30 03 is an unknown command


class SamSimulator:
    """A reader with a deck of cards; `place()` puts the next one on it."""

    def __init__(
        self, deck: list[cards.IdCard] | None = None, faults: Faults | None = None, baud: int = 0
    ):
        self.deck = deck if deck is not None else sample_cards()
        self.baud = baud  # pace replies like a serial line of this speed (a pty has none)
        self.faults = faults or Faults()
        self.on_reader: cards.IdCard | None = None
        self._next = 0
        self._selected = False
        self._read_done = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._fds: list[int] = []
        self._server: socket.socket | None = None
        self._clients: list[socket.socket] = []
        self.link: Path | None = None
        self.received: list[tuple[int, int]] = []

    # --- the card on the reader -------------------------------------------------------------

    def place(self, index: int | None = None) -> cards.IdCard:
        """Put a card on the reader: the given one, or the next of the deck in turn."""
        with self._lock:
            if index is None:
                index, self._next = self._next, (self._next + 1) % len(self.deck)
            self.on_reader = self.deck[index]
            self._selected = self._read_done = False
            return self.on_reader

    def lift(self) -> None:
        with self._lock:
            self.on_reader, self._selected, self._read_done = None, False, False

    # --- the protocol -----------------------------------------------------------------------

    def reply(self, frame: Frame) -> bytes:
        """The reader's answer to one command frame."""
        with self._lock:
            self.received.append(frame.command)
            return self._answer(frame.command)

    def _answer(self, cmd: tuple[int, int]) -> bytes:
        if cmd in (RESET, STATUS):
            return response(OK)
        if cmd == SAM_ID:
            return response(OK, bytes(range(16)))
        if cmd == FIND:
            present = self.on_reader is not None and not self._read_done
            return response(FOUND, bytes(4)) if present else response(NO_CARD)
        if cmd == SELECT:
            self._selected = self.on_reader is not None and not self._read_done
            return response(OK, bytes(8)) if self._selected else response(0x81)
        if cmd == READ:
            if not self._selected or self.on_reader is None:
                return response(0x41)
            if self.faults.lift_during_read:
                self.on_reader, self._selected = None, False
                return response(0x41)
            self._read_done, self._selected = True, False
            return response(OK, _card_data(self.on_reader))
        if cmd == READ_ADDRESS:  # after the base read, while the card is still on the reader
            if self.faults.no_appended_address:
                return response(0x21)
            if self.on_reader is None or not self._read_done:
                return response(0x41)
            if not self.on_reader.new_address:
                return response(NO_CONTENT)
            return response(OK, cards.encode_address(self.on_reader.new_address))
        return response(0x21)

    def _send(self, frame: bytes, write) -> None:
        if self.faults.silent:
            return
        if self.faults.delay:
            time.sleep(self.faults.delay)
        if self.faults.bad_checksum > 0:
            self.faults.bad_checksum -= 1
            frame = frame[:-1] + bytes([frame[-1] ^ 0xFF])
        if self.faults.trickle:
            for byte in b"\x00\x13\xaa\x96" + frame:
                write(bytes([byte]))
        elif self.baud:
            start = time.monotonic()
            for offset in range(0, len(frame), 32):
                write(frame[offset : offset + 32])
                due = start + (offset + 32) * 10 / self.baud  # 8N1: 10 bits a byte
                time.sleep(max(0.0, due - time.monotonic()))
        else:
            write(frame)

    def _serve(self, read, write) -> None:
        frames = FrameReader()
        while not self._stop.is_set():
            try:
                chunk = read()
            except OSError:
                return
            if chunk is None:
                continue
            if not chunk:
                return
            for item in frames.feed(chunk):
                if isinstance(item, Frame):
                    try:
                        self._send(self.reply(item), write)
                    except OSError:
                        return

    def _start(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    # --- transports -------------------------------------------------------------------------

    def serve_pty(self, link: str | Path | None = None) -> str:
        """Serve on a new pty; returns the device path (a symlink `link` to it, if given),
        as a USB reader appears under /dev/serial/by-id."""
        master, slave = os.openpty()
        tty.setraw(master)
        tty.setraw(slave)
        self._fds += [master, slave]
        path = os.ttyname(slave)
        if link:
            self.link = Path(link)
            tmp = self.link.with_name(self.link.name + ".new")
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            tmp.symlink_to(path)
            tmp.replace(self.link)
            path = str(self.link)
        self._stop.clear()

        def read() -> bytes | None:
            ready, _, _ = select.select([master], [], [], 0.1)
            return os.read(master, 4096) if ready else None

        self._start(self._serve, read, lambda data: os.write(master, data))
        return path

    def serve_tcp(self, host: str = "127.0.0.1", port: int = 0) -> tuple[str, int]:
        """Serve on TCP (like a serial-to-Ethernet converter); returns the address."""
        server = socket.create_server((host, port), reuse_port=False)
        server.settimeout(0.1)
        self._server = server
        self._stop.clear()
        self._start(self._accept, server)
        return server.getsockname()[:2]

    def _accept(self, server: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                client, _ = server.accept()
            except (TimeoutError, OSError):
                continue
            client.settimeout(0.1)
            self._clients.append(client)
            self._start(self._serve_client, client)

    def _serve_client(self, client: socket.socket) -> None:
        def read() -> bytes | None:
            try:
                return client.recv(4096)
            except TimeoutError:
                return None

        with client:
            self._serve(read, client.sendall)

    def unplug(self) -> None:
        """Cut every connection, as pulling the USB cable does; `serve_*` again to plug in."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2)
        self._threads.clear()
        for fd in self._fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._fds.clear()
        for sock in [*self._clients, *([self._server] if self._server else [])]:
            with contextlib.suppress(OSError):
                sock.close()
        self._clients.clear()
        self._server = None

    close = unplug


def _card_data(card: cards.IdCard) -> bytes:
    text = cards.encode(card)
    photo = (card.photo or _photo(card)).ljust(cards.PHOTO_BYTES, b"\x00")
    return len(text).to_bytes(2, "big") + len(photo).to_bytes(2, "big") + text + photo


def _photo(card: cards.IdCard) -> bytes:
    """A stand-in for the WLT photo: 1024 bytes that differ per card."""
    seed = card.id_number.encode()
    return (b"WLT" + seed * 100)[: cards.PHOTO_BYTES]
