"""`clerk enrol` proves address, device and token with a real request before keeping it."""

from __future__ import annotations

import http.server
import socket
import stat
import threading

import pytest

from offline.platform.server import serve_in_thread
from offline.platform.store import PlatformStore
from tests.conftest import INIT, cli


@pytest.fixture
def platform(tmp_path):
    store = PlatformStore(tmp_path / "platform.db")
    server, url = serve_in_thread(store)
    yield store, url
    server.shutdown()
    server.server_close()


def _enrol(home, tmp_path, url, token, code=0):
    (tmp_path / "token.txt").write_text(token + "\n")
    args = ["enrol", "--platform", url, "--device-id", "win-03", "--token-file"]
    return cli(home, *args, str(tmp_path / "token.txt"), code=code)


def test_enrol_checks_before_it_keeps_the_token(tmp_path, platform):
    store, url = platform
    home = tmp_path / "home"
    cli(home, *INIT)
    token = store.add_device("win-03", "330212105")
    assert "不认可此设备编号和令牌" in _enrol(home, tmp_path, url, "bogus", code=1)
    assert not (home / "platform.token").exists()
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{free.getsockname()[1]}/api/v1"
    assert "平台无法连接" in _enrol(home, tmp_path, dead, token, code=1)
    assert "必须使用 https" in _enrol(home, tmp_path, "http://example.org/api", token, code=1)
    assert not (home / "platform.token").exists()
    assert "已登记" in _enrol(home, tmp_path, url, token)
    assert (home / "platform.token").read_text().strip() == token
    assert stat.S_IMODE((home / "platform.token").stat().st_mode) == 0o600


def test_a_web_page_is_not_a_platform(tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        home = tmp_path / "home"
        cli(home, *INIT)
        url = f"http://127.0.0.1:{server.server_address[1]}/api/v1"
        assert "不是平台接口" in _enrol(home, tmp_path, url, "t", code=1)
    finally:
        server.shutdown()
        server.server_close()
