"""A TCP proxy on loopback for tests and benchmarks of sync: it limits bandwidth, adds delay,
counts the bytes each way and can cut a connection in the middle of a request."""

from __future__ import annotations

import contextlib
import socket
import threading
import time


class Proxy:
    def __init__(
        self, upstream: tuple[str, int], bits_per_second: float = 0, delay: float = 0.0
    ) -> None:
        self.upstream = upstream
        self.rate = bits_per_second / 8 if bits_per_second else 0  # bytes per second
        self.delay = delay
        self.sent_up = self.sent_down = 0
        self.cut_after: int | None = None  # cut every connection once this many bytes went up
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", 0))
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def address(self) -> tuple[str, int]:
        return self._server.getsockname()[:2]

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            for a, b, up in ((client, server, True), (server, client, False)):
                threading.Thread(target=self._pump, args=(a, b, up), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, up: bool) -> None:
        with contextlib.suppress(OSError):
            while chunk := source.recv(4096):
                if self.delay:
                    time.sleep(self.delay / 10)  # spread the one-way delay over chunks
                if self.rate:
                    time.sleep(len(chunk) / self.rate)
                with self._lock:
                    if up:
                        self.sent_up += len(chunk)
                        cut = self.cut_after is not None and self.sent_up >= self.cut_after
                    else:
                        self.sent_down += len(chunk)
                        cut = False
                if cut:
                    self.cut_after = None
                    break
                target.sendall(chunk)
        for sock in (source, target):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def close(self) -> None:
        self._stop.set()
        self._server.close()
