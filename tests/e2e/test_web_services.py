"""The hall service and the reference platform as an attacker on the hall LAN would try them:
slow and silent clients, odd JSON, broken framing, the wrong window's token, SIGTERM."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import signal
import socket
import subprocess
import time

import httpx
import pytest

from clerk.hall.server import serve_in_thread
from offline.platform.server import serve_in_thread as platform_in_thread
from offline.platform.store import PlatformStore
from offline.queue import QueueError, QueueStore, secret_path
from offline.web import Limits
from tests.e2e.processes import Processes

ZHANG = "330212198001011238"
STRANGER = "127.0.0.2"  # another machine on the LAN, as far as the server can tell


@pytest.fixture
def hall(tmp_path):
    store = QueueStore(tmp_path / "hall.db")
    limits = Limits(header_timeout=1.0, body_timeout=1.0, per_peer=16, connections=64)
    server, url = serve_in_thread(store, limits=limits)
    yield store, server, url
    server.shutdown()
    server.server_close()
    store.close()


def _slow_client(port: int) -> socket.socket:
    sock = socket.socket()
    sock.bind((STRANGER, 0))
    sock.connect(("127.0.0.1", port))
    sock.sendall(b"GET /status HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    return sock


def _closed_by_server(sock: socket.socket, wait: float) -> bool:
    sock.settimeout(wait)
    try:
        return sock.recv(1024) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def test_slow_header_clients_are_bounded_in_count_and_time(hall):
    store, server, url = hall
    port = server.server_address[1]
    slow = [_slow_client(port) for _ in range(200)]
    try:
        time.sleep(0.3)
        # bounded in count: the stranger holds at most its share; the rest were refused
        assert server.connections <= 16 + 1
        refused = sum(_closed_by_server(s, 0.01) for s in slow[16:])
        assert refused >= 200 - 16 - 1
        # a key holder is answered while they trickle
        for sock in slow[:16]:
            with contextlib.suppress(OSError):
                sock.sendall(b"a")
        key = {"X-Hall-Key": store.hall_key()}
        assert httpx.get(f"{url}/status", headers=key, timeout=5).status_code == 200
        # bounded in time: trickling a byte now and then does not keep a connection open
        deadline = time.monotonic() + 30
        open_ones = list(slow[:16])
        while open_ones and time.monotonic() < deadline:
            for sock in open_ones:
                with contextlib.suppress(OSError):
                    sock.sendall(b"b")
            open_ones = [s for s in open_ones if not _closed_by_server(s, 0.05)]
        assert open_ones == []
        assert server.connections == 0
    finally:
        for sock in slow:
            sock.close()


def test_a_silent_connection_and_a_slow_body_are_closed(hall):
    _, server, _ = hall
    port = server.server_address[1]
    silent = socket.create_connection(("127.0.0.1", port))
    body = socket.create_connection(("127.0.0.1", port))
    body.sendall(b"POST /tickets HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
    try:
        assert _closed_by_server(silent, 30)
        assert _closed_by_server(body, 30)
    finally:
        silent.close()
        body.close()


def _raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
        return answer


def test_negative_content_length_is_answered(hall, tmp_path):
    _, server, _ = hall
    request = b"POST /tickets HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"
    answer = _raw(server.server_address[1], request)
    assert answer.startswith(b"HTTP/1.1 400") and "请求格式不正确".encode() in answer
    platform, _ = platform_in_thread(PlatformStore(tmp_path / "platform.db"))
    try:
        request = b"POST /api/v1/ops HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"
        assert _raw(platform.server_address[1], request).startswith(b"HTTP/1.1 400")
    finally:
        platform.shutdown()


def test_odd_json_types_and_paths_get_a_chinese_422(hall):
    store, _, url = hall
    key = {"X-Hall-Key": store.hall_key()}
    bad = httpx.post(f"{url}/tickets", json={"kind": "general", "id_number": 123}, headers=key)
    assert bad.status_code == 422
    assert bad.json()["message"] == "请求格式不正确：id_number：应为文字"
    huge = httpx.post(f"{url}/windows/99999999999999999999/call", json={}, headers=key)
    assert huge.status_code == 422 and "window_no" in huge.json()["error"]
    assert httpx.get(f"{url}/windows/abc", headers=key).status_code == 422
    wrong = httpx.post(
        f"{url}/tickets", json={"kind": "general", "id_number": "330212198001011239"}
    )
    assert wrong.status_code == 401  # no key: refused before anything else
    wrong = httpx.post(
        f"{url}/tickets", json={"kind": "general", "id_number": "330212198001011239"}, headers=key
    )
    assert wrong.status_code == 422 and "校验位错误" in wrong.json()["message"]
    json_type = {**key, "Content-Type": "application/json"}
    garbage = httpx.post(f"{url}/tickets", content=b"{not json", headers=json_type)
    assert garbage.status_code == 422 and "不是合法的JSON" in garbage.json()["message"]
    garbage = httpx.post(f"{url}/tickets", content=b"[1, 2]", headers=json_type)
    assert garbage.status_code == 422 and "应为对象" in garbage.json()["message"]
    green = httpx.post(f"{url}/tickets", json={"kind": "general", "green": "yes"}, headers=key)
    assert green.status_code == 422
    assert store.waiting() == {}  # nothing issued by any of it


def test_platform_odd_bodies(tmp_path):
    store = PlatformStore(tmp_path / "platform.db")
    token = store.add_device("w3", "330212105")
    server, url = platform_in_thread(store)
    auth = {"Authorization": f"Bearer {token}", "X-Device-Id": "w3"}
    try:
        bodies: list[object] = [{"ops": "x"}, {"ops": [1]}, [], {"nope": 1}]
        for body in bodies:
            answer = httpx.post(f"{url}/ops", json=body, headers=auth)
            assert answer.status_code == 422, body
            assert answer.headers["X-Platform-Api"] == "1"
            assert answer.headers["Content-Type"].startswith("application/problem+json")
            assert answer.json()["code"] == "invalid_request"
            assert answer.json()["detail"].startswith("请求格式不正确")
        assert httpx.get(f"{url}/changes?since=-1", headers=auth).status_code == 422
        assert httpx.get(f"{url}/calendar/99999999999999999999", headers=auth).status_code == 422
        assert httpx.get(f"{url}/changes", headers=auth).json()["changes"] == []
        assert httpx.get(f"{url}/changes").status_code == 401
        schema = httpx.get(f"{url.removesuffix('/api/v1')}/openapi.json").json()
        assert "/api/v1/ops" in schema["paths"]
    finally:
        server.shutdown()


def test_a_window_token_acts_only_as_its_window(hall):
    store, _, url = hall
    store.set_window(4, ["general"])
    four = {"X-Hall-Key": store.add_token("window", 4)}
    kiosk = {"X-Hall-Key": store.add_token("kiosk")}
    board = {"X-Hall-Key": store.add_token("board")}
    admin = {"X-Hall-Key": store.hall_key()}
    assert httpx.post(f"{url}/tickets", json={"kind": "general"}, headers=kiosk).status_code == 201
    assert httpx.post(f"{url}/tickets", json={"kind": "general"}, headers=board).status_code == 403
    other = httpx.post(f"{url}/windows/3/call", json={}, headers=four)
    assert other.status_code == 403 and other.json()["error"] == "该令牌不能代表3号窗口"
    assert httpx.get(f"{url}/windows/3", headers=four).status_code == 403
    assert httpx.post(f"{url}/windows/4/call", json={}, headers=kiosk).status_code == 403
    assert httpx.post(f"{url}/windows/4/kinds", json={"kinds": []}, headers=four).status_code == 403
    assert httpx.post(f"{url}/windows/4/call", json={}, headers=four).json()["number"] == "C001"
    assert httpx.get(f"{url}/status", headers=board).status_code == 200
    assert httpx.post(f"{url}/windows/3/finish", json={}, headers=admin).status_code == 409
    assert httpx.get(f"{url}/whoami", headers=four).json() == {"role": "window", "window_no": 4}
    # a new token for window 4 retires the old one; stored only as a digest
    newer = store.add_token("window", 4)
    assert httpx.get(f"{url}/status", headers=four).status_code == 401
    assert httpx.get(f"{url}/status", headers={"X-Hall-Key": newer}).status_code == 200
    digests = [d for (d,) in store.db.conn.execute("SELECT digest FROM hall_tokens")]
    assert newer not in digests and hashlib.sha256(newer.encode()).hexdigest() in digests


def test_health_answers_without_a_key(hall):
    _, _, url = hall
    answer = httpx.get(f"{url}/health")
    assert answer.status_code == 200 and answer.json() == {"status": "ok"}
    assert httpx.get(f"{url}/status").status_code == 401


def test_person_key_is_an_hmac_not_derivable_without_the_secret(tmp_path):
    store = QueueStore(tmp_path / "hall.db")
    store.issue("general", id_number=ZHANG)
    [(person,)] = store.db.conn.execute("SELECT person FROM tickets").fetchall()
    secret = secret_path(tmp_path / "hall.db")
    assert secret.stat().st_mode & 0o777 == 0o600
    # what an attacker with hall.db alone tries: hash every candidate number
    county, decade = ZHANG[:6], range(1975, 1985)
    candidates = (
        f"{county}{year}0101{seq:03d}" for year in decade for seq in range(1000)
    )  # the check digit needs no guessing: append all eleven
    hashed = {
        hashlib.sha256(f"{c}{d}".encode()).hexdigest() for c in candidates for d in "0123456789X"
    }
    assert person not in hashed
    key = bytes.fromhex(secret.read_text().strip())
    assert person == hmac.new(key, ZHANG.encode(), hashlib.sha256).hexdigest()
    other = QueueStore(tmp_path / "other" / "hall.db")  # another hall, another secret
    assert other.person_key(ZHANG) != person
    with pytest.raises(QueueError, match="校验位错误"):
        store.issue("general", id_number="330212198001011239")
    with pytest.raises(QueueError, match="已有一个该业务的号"):
        store.issue("general", id_number=ZHANG.lower())  # one open ticket per person per kind
    store.backup(tmp_path / "copy.db")
    restored = QueueStore(tmp_path / "copy.db")
    assert restored.person_key(ZHANG) == person  # the secret travels with the backup
    for s in (store, other, restored):
        s.close()


def _healthy(url: str, key: dict[str, str] | None = None) -> None:
    for _ in range(200):
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(url, headers=key or {}).status_code < 500:
                return
        time.sleep(0.05)
    raise AssertionError("service did not come up")


@pytest.mark.parametrize("service", ["hall", "platform"])
def test_sigterm_stops_the_service_with_a_stream_open(tmp_path, service, processes: Processes):
    db = tmp_path / f"{service}.db"
    args = [service, "serve", "--db", str(db), "--port", "0"]
    args = [*args, "--no-voice"] if service == "hall" else args
    process, url = processes.serve(*args, home=tmp_path / "home", stderr=subprocess.PIPE)
    with contextlib.ExitStack() as held:
        if service == "hall":
            key = {"X-Hall-Key": QueueStore(db).hall_key()}
            _healthy(f"{url}/health")
            client = held.enter_context(httpx.Client(timeout=30))
            stream = held.enter_context(client.stream("GET", f"{url}/events", headers=key))
            assert stream.status_code == 200  # a board holds a stream open
        else:
            _healthy(f"{url}/changes")
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=5)
        print(f"{service} stopped {time.monotonic() - started:.2f} s after SIGTERM")
    assert process.returncode in (0, -signal.SIGTERM)
    assert process.stderr is not None and "Traceback" not in process.stderr.read()


def test_a_window_joins_with_its_token_only(hall, tmp_path):
    from tests.conftest import INIT, cli

    store, _, url = hall
    db = str(store.path)
    home = tmp_path / "window3"
    cli(home, *INIT, input="0000\n")  # window 3
    for no in (3, 4):
        token = cli(tmp_path, "hall", "window", "add", str(no), "--kind", "general", "--db", db)
        (tmp_path / f"w{no}.token").write_text(token.splitlines()[-1], "utf-8")  # its last line
    wrong = cli(home, "hall", "join", url, "--token", str(tmp_path / "w4.token"), code=1)
    assert "该令牌属于4号窗口，本机配置为3号窗口" in wrong
    (tmp_path / "bad.token").write_text("令牌\n", "utf-8")
    assert "令牌格式不正确" in cli(
        home, "hall", "join", url, "--token", str(tmp_path / "bad.token"), code=1
    )
    (tmp_path / "bad.token").write_text("guess\n", "utf-8")
    assert "密钥不正确" in cli(
        home, "hall", "join", url, "--token", str(tmp_path / "bad.token"), code=1
    )
    said = cli(home, "hall", "join", url, "--token", str(tmp_path / "w3.token"))
    assert said.strip() == f"已接入叫号服务 {url}（3号窗口）"
    store.issue("general")
    assert cli(home, "hall", "call", "--window", "3") == "请C001号到3号窗口办理\n"
    assert "不能代表4号窗口" in cli(home, "hall", "call", "--window", "4", code=1)
