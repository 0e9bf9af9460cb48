"""The platform and the hall behind a certificate of a county's own CA, or a self-signed one:
real certificates made here, real TLS servers on loopback, `clerk` as the admin runs it."""

from __future__ import annotations

import datetime
import ipaddress
import json
from pathlib import Path

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from offline.platform.server import serve_in_thread
from offline.platform.store import PlatformStore
from tests.conftest import INIT, cli


def _leaf(ca: trustme.CA, tmp_path: Path, name: str, *hosts: str, **dates) -> tuple[str, str]:
    """A server certificate of `ca` for `hosts`, as (chain file, key file)."""
    leaf = ca.issue_cert(*(hosts or ("127.0.0.1", "localhost")), **dates)
    chain, key = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    chain.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    key.write_bytes(leaf.private_key_pem.bytes())
    return str(chain), str(key)


def _self_signed(tmp_path: Path) -> tuple[str, str]:
    """A certificate that is its own issuer, for 127.0.0.1, as a small office would make one."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hall.local")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    chain, key_file = tmp_path / "self.pem", tmp_path / "self.key"
    chain.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(chain), str(key_file)


@pytest.fixture
def county(tmp_path):
    """The county's own CA, its file as an admin would be given it."""
    ca = trustme.CA(organization_name="示范县政务服务中心")
    ca_file = tmp_path / "county-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return ca, str(ca_file)


def _platform(tmp_path, tls):
    store = PlatformStore(tmp_path / f"platform-{Path(tls[0]).stem}.db")
    server, url = serve_in_thread(store, tls=tls)
    token_file = tmp_path / "token.txt"
    token_file.write_text(store.add_device("win-03", "330212105") + "\n")
    return server, url, str(token_file)


@pytest.fixture
def home(tmp_path):
    home = tmp_path / "home"
    cli(home, *INIT)
    return home


def _enrol(home, url, token_file, *extra, code=0):
    return cli(home, "enrol", "--platform", url, "--device-id", "win-03", "--token-file",
               token_file, *extra, code=code)  # fmt: skip


def test_a_private_ca_is_named_and_trusted_once_given(tmp_path, home, county):
    ca, ca_file = county
    server, url, token = _platform(tmp_path, _leaf(ca, tmp_path, "platform"))
    try:
        assert url.startswith("https://127.0.0.1:")
        out = _enrol(home, url, token, code=1)
        assert "平台的证书问题" in out and "本机不认识的CA" in out and "--ca-file" in out, out
        assert "ConnectError" not in out and not (home / "platform.token").exists()

        out = _enrol(home, url, token, "--ca-file", ca_file)
        assert "已登记" in out
        shown = json.loads(cli(home, "config", "show", "--json"))
        assert shown["platform"]["ca_file"] == ca_file
        assert json.loads(cli(home, "sync", "--json"))["exit_code"] == 0
        check = json.loads(cli(home, "sync", "verify", "--json"))
        assert check["same"] is True

        # the CA taken out of the config again: sync says it is the certificate, exit 3
        cli(home, "config", "set", "platform.ca_file", "")
        summary = json.loads(cli(home, "sync", "--json", code=3))
        assert "证书问题" in summary["error"] and "本机不认识的CA" in summary["error"]
        out = cli(home, "sync", "verify", code=3)
        assert out.startswith("错误：平台无法连接：证书问题") and "ca_file" in out, out
    finally:
        server.shutdown()
        server.server_close()


def test_self_signed_expired_and_wrong_name_each_say_so(tmp_path, home, county):
    ca, _ = county
    week_ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=7)
    cases = [
        (_self_signed(tmp_path), "是自签名证书"),
        (
            _leaf(ca, tmp_path, "old", not_before=week_ago, not_after=week_ago),
            "已过期",
        ),
        (_leaf(ca, tmp_path, "other", "platform.example.org"), "与地址不符"),
    ]
    for tls, words in cases:
        server, url, token = _platform(tmp_path, tls)
        try:
            trusted = () if words == "是自签名证书" else ("--ca-file", county[1])
            out = _enrol(home, url, token, *trusted, code=1)
            assert "平台的证书问题" in out and words in out, out
        finally:
            server.shutdown()
            server.server_close()
    server, url, token = _platform(tmp_path, cases[0][0])  # the self-signed one, trusted
    try:
        assert "已登记" in _enrol(home, url, token, "--ca-file", cases[0][0][0])
    finally:
        server.shutdown()
        server.server_close()


def test_ca_file_is_checked_where_it_is_set(tmp_path, home):
    not_pem = tmp_path / "ca.txt"
    not_pem.write_text("这不是证书\n", "utf-8")
    out = cli(home, "config", "set", "platform.ca_file", str(tmp_path / "missing.pem"), code=1)
    assert "CA证书文件不存在" in out and "未修改" in out, out
    out = cli(home, "config", "set", "hall.ca_file", str(not_pem), code=1)
    assert "不是PEM格式" in out, out
    out = cli(home, "config", "set", "platform.ca_file", "ca.pem", code=1)
    assert "完整路径" in out, out
    broken = tmp_path / "broken.pem"
    broken.write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    out = cli(home, "config", "set", "platform.ca_file", str(broken), code=1)
    assert "已损坏" in out, out
    # set, then gone: read-only work goes on, config check names it, a sync says so
    good = tmp_path / "county-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(good))
    cli(home, "config", "set", "platform.ca_file", str(good))
    good.unlink()
    assert cli(home, "case", "list", "--json").strip() == "[]"
    rows = {r["key"]: r for r in json.loads(cli(home, "config", "check", "--json"))["items"]}
    assert rows["platform.ca_file"]["status"] == "problem"
    assert "CA证书文件不存在" in rows["platform.ca_file"]["advice"]
    (home / "platform.token").write_text("t\n")
    cli(home, "config", "set", "platform.url", "https://127.0.0.1:9/api/v1")
    cli(home, "config", "set", "platform.device_id", "win-03")
    out = cli(home, "sync", code=1)
    assert out.startswith("错误：CA证书文件不存在") and "\n" not in out.strip(), out
    cli(home, "config", "set", "platform.ca_file", "")  # mended with the command itself
    token = tmp_path / "t"
    token.write_text("x\n")
    args = ["--device-id", "w", "--token-file", str(token), "--ca-file", str(not_pem)]
    out = cli(home, "enrol", "--platform", "https://127.0.0.1:9/api/v1", *args, code=1)
    assert out.startswith("用法错误：") and "不是PEM格式" in out, out


def test_a_hall_behind_a_county_certificate(tmp_path, home, county):
    from clerk.hall.server import serve_in_thread as serve_hall
    from offline.queue import QueueStore

    ca, ca_file = county
    queue = QueueStore(tmp_path / "hall.db")
    server, url = serve_hall(queue, tls=_leaf(ca, tmp_path, "hall"))
    try:
        token = cli(tmp_path, "hall", "window", "add", "3", "--kind", "general",
                    "--db", str(queue.path))  # fmt: skip
        (tmp_path / "w3.token").write_text(token.splitlines()[-1], "utf-8")
        join = ["hall", "join", url, "--token", str(tmp_path / "w3.token")]
        out = cli(home, *join, code=1)
        assert "叫号服务无法连接" in out and "本机不认识的CA" in out, out
        assert f"已接入叫号服务 {url}" in cli(home, *join, "--ca-file", ca_file)
        queue.issue("general")
        assert cli(home, "hall", "call", "--window", "3") == "请C001号到3号窗口办理\n"
    finally:
        server.shutdown()
        server.server_close()
        queue.close()
