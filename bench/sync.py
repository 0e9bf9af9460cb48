"""Sync figures: draining a window's outbox to the reference platform, against the same HTTP
requests replayed to a server that does nothing; and what goes over a slow line.

The platform runs in its own process (`clerk platform serve`), so the client's CPU and the
server's are told apart. The window is prepared once (10 000 cases, 2 000 with a 200 KB
attachment) after a first sync on an empty outbox has fetched the catalog and the calendar,
so the drain holds no one-off import; each repeat copies it (attachments hard-linked) and
drains it to a fresh platform. Every request the engine sends is recorded (method, path,
headers, body, the size of the answer); the replay sends the same requests in the same order
with httpx to `bench.trivial`, on the platform's web stack, which answers each with as many
bytes as the platform did. The run fails loudly if a drain leaves anything unacknowledged
or the platform holds a different number of operations, or if a replayed request fails.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from bench.report import Row, alternate, check, show
from bench.trivial import REPLY, platform_stack
from clerk.demo import SAMPLES
from offline.blobs import BlobStore
from offline.catalog import demo_catalog
from offline.clock import now
from offline.platform.proxy import Proxy
from offline.platform.server import serve_in_thread
from offline.platform.store import PlatformStore
from offline.store import Store
from offline.sync import Platform, SyncEngine

START = now() - timedelta(days=10)
REPEATS = 3
KEEP_BODY = 64 * 1024  # bigger bodies are replayed as the same number of other bytes


def _window(tmp: Path, ops: int, attachments: int, size: int) -> tuple[Store, BlobStore, int]:
    store = Store(tmp / "clerk.db", centre_code="330212105", window_no=3)
    store.import_catalog(demo_catalog(), by="bench")
    blobs, payload = BlobStore(tmp / "blobs"), 0
    for n in range(ops):
        entry = SAMPLES[0][1]
        if n < attachments:
            sha = blobs.put(n.to_bytes(4, "big") + os.urandom(size - 4))
            entry = entry.model_copy(deep=True)
            entry.materials[0] = entry.materials[0].model_copy(update={"attachments": [sha]})
            payload += size
        day = START + timedelta(days=n // 5000)  # a window numbers at most 9 999 cases a day
        case = store.accept(entry, clerk_id="c0107", at=day)
        payload += len(json.dumps(store.operations(case.case_id)[0].payload).encode())
    return store, blobs, payload


class Process:
    """A server in its own process that prints its URL first."""

    def __init__(self, argv: list[str]) -> None:
        self.popen = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert self.popen.stdout is not None
        self.url = self.popen.stdout.readline().decode().strip()
        check(self.url.startswith("http"), f"{argv[2:5]} did not start: {self._err()}")

    def _err(self) -> str:
        if self.popen.poll() is None:
            return "(running)"
        assert self.popen.stderr is not None
        return self.popen.stderr.read().decode()[-500:]

    def cpu(self) -> float:
        """CPU seconds the process has used (user + system)."""
        fields = Path(f"/proc/{self.popen.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        check(self.popen.poll() is None, f"the server died: {self._err()}")
        # SIGINT: `clerk platform serve` hangs on SIGTERM (its handler calls
        # server.shutdown() on the thread that runs serve_forever)
        self.popen.send_signal(signal.SIGINT)
        try:
            self.popen.wait(10)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
        for stream in (self.popen.stdout, self.popen.stderr):
            if stream:
                stream.close()


@dataclass
class Sent:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | int  # the body, or its length when it is big
    reply: int  # bytes of the answer on the wire


def _platform(tmp: Path) -> tuple[Process, str, Path]:
    db = tmp / "platform.db"
    store = PlatformStore(db)
    token = store.add_device("win-03", "330212105")
    del store
    cmd = [sys.executable, "-m", "clerk", "--home", str(tmp / "home"), "platform", "serve"]
    return Process([*cmd, "--db", str(db), "--port", "0"]), token, db


def _recording(engine: SyncEngine, sent: list[Sent]) -> None:
    """Record every request the engine's client sends, with the size of its answer."""
    send = engine.client.send

    def recorded(request: httpx.Request, **kwargs: Any) -> httpx.Response:
        response = send(request, **kwargs)
        body = request.read()
        sent.append(
            Sent(
                request.method,
                request.url.raw_path.decode(),
                {k: v for k, v in request.headers.items() if k.lower() != "content-length"},
                body if len(body) <= KEEP_BODY else len(body),
                response.num_bytes_downloaded,
            )
        )
        return response

    engine.client.send = recorded  # type: ignore[method-assign]


class Drain:
    def __init__(self, tmp: Path, ops: int, attachments: int, size: int) -> None:
        self.tmp, self.ops, self.n = tmp, ops, 0
        self.window = tmp / "window"
        self.window.mkdir()
        platform, token, _ = _platform(tmp / "prime")
        try:  # a first run on an empty outbox: catalog and calendar, once
            store = Store(self.window / "clerk.db", centre_code="330212105", window_no=3)
            target = Platform(platform.url, "win-03", token)
            with SyncEngine(store, BlobStore(self.window / "blobs"), target) as engine:
                check(engine.run().exit_code == 0, "the priming sync failed")
            store.close()
        finally:
            platform.close()
        store, _, self.payload = _window(self.window, ops, attachments, size)
        store.close()
        self.sent: list[Sent] = []
        self.client_cpu: list[float] = []
        self.server_cpu: list[float] = []

    def run(self) -> float:
        self.n += 1
        here = self.tmp / f"run-{self.n}"
        shutil.copytree(self.window, here, copy_function=os.link, ignore=_db_files)
        for name in ("clerk.db", "clerk.db-wal"):
            if (self.window / name).exists():
                shutil.copy2(self.window / name, here / name)
        platform, token, db = _platform(here)
        store = Store(here / "clerk.db", centre_code="330212105", window_no=3)
        sent: list[Sent] = []
        try:
            target = Platform(platform.url, "win-03", token)
            cpu, server_cpu = time.process_time(), platform.cpu()
            began = time.perf_counter()
            with SyncEngine(store, BlobStore(here / "blobs"), target) as engine:
                _recording(engine, sent)
                summary = engine.run()
            took = time.perf_counter() - began
            self.client_cpu.append(time.process_time() - cpu)
            self.server_cpu.append(platform.cpu() - server_cpu)
        finally:
            store.close()
            platform.close()
        check(summary.exit_code == 0 and summary.pending == 0, f"drain incomplete: {summary}")
        held = PlatformStore(db).stats()["ops"]
        check(held == self.ops, f"the platform holds {held} operations, {self.ops} were sent")
        self.sent = sent
        shutil.rmtree(here)
        return took


def _db_files(directory: str, names: list[str]) -> list[str]:
    return [n for n in names if n.startswith("clerk.db")]


def replay(sent: list[Sent]) -> float:
    """The recorded requests, in order, with httpx to a server that does nothing."""
    check(sent, "nothing recorded to replay")
    server = Process([sys.executable, "-m", "bench.trivial"])
    filler: dict[int, bytes] = {}
    try:
        began = time.perf_counter()
        with httpx.Client(base_url=server.url, timeout=60) as client:
            for s in sent:
                body = (
                    s.body
                    if isinstance(s.body, bytes)
                    else filler.setdefault(s.body, os.urandom(s.body))
                )
                headers = {**s.headers, REPLY: str(s.reply)}
                headers.pop("host", None)
                answer = client.request(s.method, s.path, content=body, headers=headers)
                check(
                    answer.status_code == 200, f"replay {s.method} {s.path}: {answer.status_code}"
                )
        return time.perf_counter() - began
    finally:
        server.close()


def drain(ops: int, attachments: int, size: int, repeats: int) -> list[Row]:
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        runs = Drain(Path(tmp), ops, attachments, size)
        ours, theirs = alternate(runs.run, lambda: replay(runs.sent), repeats)
        sent = runs.sent
    methods: dict[str, int] = {}
    for s in sent:
        methods[s.method] = methods.get(s.method, 0) + 1
    counted = ", ".join(f"{n} {m}" for m, n in sorted(methods.items()))
    stack = platform_stack()
    return [
        Row(f"drain {ops} ops + {attachments} × {size // 1000} KB", "s", ours, theirs,
            f"the same {len(sent)} requests replayed to a trivial server ({stack})",
            "aim ≤ 2x", summary=f"sync drain, {ops} ops + {attachments} × {size // 1000} KB",
            note=f"requests: {counted}"),
        Row("drain: client CPU", "s", runs.client_cpu),
        Row("drain: platform CPU (its own process)", "s", runs.server_cpu),
    ]  # fmt: skip


def _through_proxy(ops: int, attachments: int, size: int, cut: int | None) -> tuple[int, int, int]:
    """(bytes on the wire, payload bytes, attachment bytes sent) of syncing through a
    1 Mbit/s line with 100 ms of delay, cut once after `cut` bytes if given."""
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        store, blobs, payload = _window(Path(tmp), ops, attachments, size)
        platform = PlatformStore(Path(tmp) / "platform.db")
        server, url = serve_in_thread(platform)
        parts = urlsplit(url)
        assert parts.hostname and parts.port  # serve_in_thread's URL names both
        proxy = Proxy((parts.hostname, parts.port), bits_per_second=1_000_000, delay=0.1)
        proxy.cut_after = cut
        via = f"http://{proxy.address[0]}:{proxy.address[1]}{parts.path}"
        target = Platform(via, "win-03", platform.add_device("win-03", "330212105"))
        with SyncEngine(store, blobs, target, sleep=lambda s: None) as engine:
            runs = [engine.run()]
            if runs[0].exit_code:
                runs.append(engine.run())
            sent = engine.blob_bytes
        wire = proxy.sent_up + proxy.sent_down
        proxy.close()
        server.shutdown()
        server.server_close()
        check(runs[-1].exit_code == 0 and platform.stats()["ops"] == ops, f"slow line: {runs}")
    return wire, payload, sent


def slow_line(ops: int = 20, attachments: int = 3, size: int = 200_000) -> list[Row]:
    wire, payload, _ = _through_proxy(ops, attachments, size, cut=None)
    _, _, sent = _through_proxy(ops, attachments, size, cut=300_000)  # mid second attachment
    return [
        Row(
            f"1 Mbit/s, 100 ms: bytes on the wire ({ops} ops, {attachments} × 200 KB)",
            "B",
            [wire],
            [float(payload)],
            "payload (ops JSON + attachments)",
            "aim ≤ 1.1x",
        ),
        Row(
            "bytes re-sent after a cut mid-attachment",
            "B",
            [sent - attachments * size],
            [float(1024 * 1024)],
            "one chunk (1 MiB)",
            "aim ≤ 1x",
        ),
    ]


def main(
    ops: int = 10_000, attachments: int = 2_000, size: int = 200_000, repeats: int = REPEATS
) -> None:
    show(
        f"Sync ({repeats} drains and {repeats} replays in turns)",
        drain(ops, attachments, size, repeats) + slow_line(),
    )
