"""A network receipt printer on loopback: stores the ESC/POS bytes of every job it prints and
answers DLE EOT status queries, with paper-out and cover-open switches."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from pathlib import Path

from devices.printer.decode import Printout, decode


class PrinterSimulator:
    def __init__(self, out_dir: Path | None = None, codec: str = "gbk") -> None:
        self.paper_out = False
        self.cover_open = False
        self.jobs: list[bytes] = []
        self.codec = codec
        self.out_dir = out_dir
        self._server: socket.socket | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def _status(self, n: int) -> bytes:
        out = self.paper_out or self.cover_open
        if n == 1:
            return bytes([0x1A if out else 0x12])
        if n == 2:
            return bytes(
                [0x12 | (0x20 if self.paper_out else 0) | (0x04 if self.cover_open else 0)]
            )
        if n == 4:
            return bytes([0x72 if self.paper_out else 0x12])
        return b""

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> tuple[str, int]:
        self._server = socket.create_server((host, port))
        self._server.settimeout(0.1)
        self._stop.clear()
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self._server.getsockname()[:2]

    def _accept(self) -> None:
        assert self._server is not None
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except (TimeoutError, OSError):
                continue
            thread = threading.Thread(target=self._serve, args=(client,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, client: socket.socket) -> None:
        """Real-time status queries come before a job's data; everything else is the job."""
        job = bytearray()
        client.settimeout(0.1)
        with client:
            while not self._stop.is_set():
                try:
                    chunk = client.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    break
                if not chunk:
                    break
                while not job and chunk[:2] == b"\x10\x04" and len(chunk) >= 3:
                    client.sendall(self._status(chunk[2]))
                    chunk = chunk[3:]
                if not (self.paper_out or self.cover_open):  # a stopped printer prints nothing
                    job += chunk
        if job:
            self._keep(bytes(job))

    def _keep(self, job: bytes) -> None:
        self.jobs.append(job)
        if self.out_dir:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            stem = self.out_dir / f"job-{time.time_ns()}"
            stem.with_suffix(".bin").write_bytes(job)
            stem.with_suffix(".txt").write_text(self.preview(job).text, "utf-8")

    def wait_jobs(self, count: int, timeout: float = 3.0) -> list[bytes]:
        """The jobs printed so far, once there are `count` of them (or the timeout passed)."""
        deadline = time.monotonic() + timeout
        while len(self.jobs) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.jobs

    def preview(self, job: bytes) -> Printout:
        return decode(job, self.codec)

    def close(self) -> None:
        self._stop.set()
        if self._server:
            with contextlib.suppress(OSError):
                self._server.close()
        for thread in self._threads:
            thread.join(timeout=2)
        self._threads.clear()
