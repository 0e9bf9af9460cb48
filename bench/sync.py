"""Sync figures: draining the outbox to the local reference platform, and what goes over a
slow line (1 Mbit/s, 100 ms) compared with the payload, including after a cut."""

from __future__ import annotations

import json
import os
import socket
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from bench.report import Row, show
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


def _loopback_rate(total: int) -> float:
    """Bytes per second of a plain socket on loopback: the reference for the drain."""
    server = socket.create_server(("127.0.0.1", 0))
    received = []

    def sink() -> None:
        conn, _ = server.accept()
        with conn:
            count = 0
            while chunk := conn.recv(1 << 20):
                count += len(chunk)
            received.append(count)

    thread = threading.Thread(target=sink)
    thread.start()
    block = os.urandom(1 << 20)
    start = time.perf_counter()
    with socket.create_connection(server.getsockname()) as client:
        for _ in range(total // len(block) + 1):
            client.sendall(block)
    thread.join()
    server.close()
    return received[0] / (time.perf_counter() - start)


def _trivial(url: str, token: str, requests: int) -> float:
    """Mean seconds of the platform's most trivial answer (a 404 to `HEAD` of an unknown
    blob), asked as many times as the drain asked, one after another as the drain does."""
    headers = {"Authorization": f"Bearer {token}", "X-Device-Id": "win-03"}
    with httpx.Client(base_url=url, headers=headers) as client:
        start = time.perf_counter()
        for _ in range(requests):
            assert client.head("/blobs/" + "0" * 64).status_code == 404
        return (time.perf_counter() - start) / requests


def drain(ops: int, attachments: int, size: int) -> list[Row]:
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        store, blobs, payload = _window(Path(tmp), ops, attachments, size)
        platform = PlatformStore(Path(tmp) / "platform.db")
        server, url = serve_in_thread(platform)
        target = Platform(url, "win-03", platform.add_device("win-03", "330212105"))
        start = time.perf_counter()
        with SyncEngine(store, blobs, target) as engine:
            summary = engine.run()
        took = time.perf_counter() - start
        requests = server.requests
        trivial = _trivial(url, target.token, requests)
        server.shutdown()
        server.server_close()
        assert summary.exit_code == 0 and platform.stats()["ops"] == ops, summary
    reference = _loopback_rate(payload) / 1e6
    return [
        Row(
            f"drain: time per request ({requests} requests)",
            took / requests * 1000,
            "ms",
            trivial * 1000,
            "HEAD of an unknown blob, same server, as many requests",
        ),
        Row(f"drain {ops} ops + {attachments} × {size // 1000} KB: ops/s", ops / took, "/s"),
        Row(
            "drain: payload MB/s",
            payload / took / 1e6,
            "MB/s",
            reference,
            "plain socket on loopback, same bytes",
        ),
    ]


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
        assert runs[-1].exit_code == 0 and platform.stats()["ops"] == ops, runs
    return wire, payload, sent


def slow_line(ops: int = 20, attachments: int = 3, size: int = 200_000) -> list[Row]:
    wire, payload, _ = _through_proxy(ops, attachments, size, cut=None)
    _, _, sent = _through_proxy(ops, attachments, size, cut=300_000)  # mid second attachment
    return [
        Row(
            f"1 Mbit/s, 100 ms: bytes on the wire ({ops} ops, {attachments} × 200 KB)",
            wire,
            "B",
            float(payload),
            "payload (ops JSON + attachments)",
            "aim ≤ 1.1x",
        ),
        Row(
            "bytes re-sent after a cut mid-attachment",
            sent - attachments * size,
            "B",
            float(1024 * 1024),
            "one chunk (1 MiB)",
            "aim ≤ 1x",
        ),
    ]


def main(ops: int = 10_000, attachments: int = 2_000, size: int = 200_000) -> None:
    show("Sync", drain(ops, attachments, size) + slow_line())
