"""`--json` of `catalog import`, `case import` and `sync verify`: data in English keys on
stdout, the exit codes of the one table, a failure as one Chinese line on stderr only."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from offline.platform.server import serve_in_thread
from offline.platform.store import PlatformStore
from tests.conftest import INIT, cli
from tests.unit.test_backfill import line


def run(home, *args: str) -> tuple[int, str, str]:
    """`clerk --home HOME ARGS`: exit code, stdout and stderr apart."""
    from clerk.cli import main

    result = CliRunner().invoke(main, ["--home", str(home), *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


def keys(data) -> set[str]:
    """Every key of a JSON document, at any depth."""
    if isinstance(data, dict):
        return set(data) | {k for v in data.values() for k in keys(v)}
    if isinstance(data, list):
        return {k for v in data for k in keys(v)}
    return set()


@pytest.fixture
def home(tmp_path):
    home = tmp_path / "home"
    cli(home, *INIT)
    return home


def test_catalog_import_json(home, tmp_path):
    code, out, err = run(home, "catalog", "import", "--demo", "--json")
    data = json.loads(out)
    assert (code, err) == (0, "")
    assert data["items"] == len(json.loads(cli(home, "catalog", "list", "--json"))) > 10
    assert data["bundles"] >= 1 and data["version"]
    assert all(key.isascii() for key in data)
    bad = tmp_path / "bad.json"
    bad.write_text("{", "utf-8")
    code, out, err = run(home, "catalog", "import", str(bad), "--json")
    assert (code, out) == (1, "") and err.startswith("错误：目录文件不是有效的UTF-8 JSON")


def test_case_import_json(home, tmp_path):
    paper = tmp_path / "paper.jsonl"
    paper.write_text(line("登记簿第1页第1行") + "\n" + line("登记簿第1页第2行") + "\n", "utf-8")
    code, out, err = run(home, "case", "import", str(paper), "--json")
    assert (code, err) == (0, "")
    assert json.loads(out) == {
        "created": ["330212105-03-20261120-0001", "330212105-03-20261120-0002"],
        "skipped": 0,
    }
    code, out, _ = run(home, "case", "import", str(paper), "--json")
    assert json.loads(out) == {"created": [], "skipped": 2}
    paper.write_text(line("x", id_number="330212198001011239") + "\n", "utf-8")
    code, out, err = run(home, "case", "import", str(paper), "--json")
    assert (code, out) == (1, "") and err.startswith("错误：第1行") and "校验位" in err


@contextmanager
def enrolled(home: Path, tmp_path: Path, cases: int) -> Iterator[PlatformStore]:
    """The reference platform on loopback with `home` enrolled and `cases` 补录 cases
    waiting to be sent; the platform's store."""
    store = PlatformStore(tmp_path / "platform.db")
    server, url = serve_in_thread(store)
    try:
        (tmp_path / "token").write_text(store.add_device("win-03", "330212105"))
        cli(home, "enrol", "--platform", url, "--device-id", "win-03", "--token-file",
            str(tmp_path / "token"))  # fmt: skip
        paper = tmp_path / "paper.jsonl"
        paper.write_text("".join(line(f"第{n}行") + "\n" for n in range(1, cases + 1)), "utf-8")
        cli(home, "case", "import", str(paper))
        yield store
    finally:
        server.shutdown()
        server.server_close()


def test_sync_verify_json_and_its_exit_codes(home, tmp_path):
    with enrolled(home, tmp_path, 1) as store:
        cli(home, "sync")
        code, out, err = run(home, "sync", "verify", "--json")
        same = json.loads(out)
        assert (code, err) == (0, "")
        assert same == {
            "local_ops": 1,
            "platform_ops": 1,
            "ops_same": True,
            "cases_compared": 1,
            "unsent": 0,
            "differences": [],
            "same": True,
        }
        store.advance()  # the back office moves the case on; this window has not pulled yet
        code, out, err = run(home, "sync", "verify", "--json")
        differs = json.loads(out)
        assert (code, err, differs["same"]) == (1, "", False)
        [difference] = differs["differences"]
        assert difference["field"] == "status" and difference["local"] == "in_review"
        assert difference["local_no"] == "330212105-03-20261120-0001"
        assert keys(differs) <= keys(same) | {"case_id", "local_no", "field", "local", "platform"}

        (home / "platform.token").write_text("not-the-token\n")
        code, out, err = run(home, "sync", "verify", "--json")
        assert (code, out) == (2, "") and "重新登记" in err
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{free.getsockname()[1]}/api/v1"
    code, out, err = run(home, "sync", "verify", "--json", "--platform", dead)
    assert (code, out) == (3, "") and err.startswith("错误：平台无法连接：连接不上"), err


def test_check_commands_give_codes_beside_their_chinese(home):
    """Scripts read `status` and `key`; the Chinese words are for the admin."""
    report = json.loads(cli(home, "config", "check", "--json"))
    by_key = {row["key"]: row for row in report["items"]}
    assert by_key["window.clerk"]["status"] == "ok" and by_key["platform"]["status"] == "missing"
    assert by_key["printer.url"]["status"] == "missing"
    assert by_key["papers"]["status"] in ("ok", "problem")  # a fresh centre lacks its 复议机关
    cli(home, "config", "set", "printer.url", "sim:")
    listed = {d["device"]: d for d in json.loads(cli(home, "device", "list", "--json"))}
    assert (listed["printer"]["status"], listed["printer"]["address"]) == ("simulated", "sim:")
    assert (listed["idcard"]["status"], listed["idcard"]["address"]) == ("unconfigured", "")
    _, out, _ = run(home, "device", "check", "--json")  # exit 1: voice fails without a sound card
    checked = {d["device"]: d["status"] for d in json.loads(out)}
    assert checked["printer"] == "simulated" and checked["idcard"] == "unconfigured"
    assert set(checked.values()) <= {"ok", "failed", "simulated", "unconfigured"}
    status = json.loads(cli(home, "sync", "status", "--json"))
    assert status["calendar_years"] == []
