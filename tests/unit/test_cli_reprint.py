"""`clerk case print`: a case's paper again (补打), marked, audited, on the real printer path."""

from __future__ import annotations

import json

import pytest

from devices.printer.decode import decode
from devices.printer.simulator import PrinterSimulator
from tests.conftest import INIT
from tests.conftest import cli as run


@pytest.fixture
def home(tmp_path):
    run(tmp_path, *INIT)
    run(tmp_path, "demo", "--keep", str(tmp_path), "--no-desk")
    return tmp_path


class ServedSimulator(PrinterSimulator):
    """The simulator with the URL it serves on."""

    url = ""


@pytest.fixture
def printer():
    sim = ServedSimulator()
    host, port = sim.serve()
    sim.url = f"tcp://{host}:{port}"
    yield sim
    sim.close()


def _cases(home) -> dict[str, str]:
    return {
        c["status"]: c["payload"]["local_no"]
        for c in json.loads(run(home, "case", "list", "--json"))
    }


def test_reprint_a_receipt_marked_and_audited(home, printer):
    cases = _cases(home)
    no = cases["accepted_missing"]
    out = run(home, "case", "print", no, "--printer", printer.url, "--paper", "58")
    assert "（补打）" in out and "+" + "-" * 32 + "+" in out and f"已补打受理回执：{no}" in out
    printed = decode(printer.wait_jobs(1)[0], "gbk")
    flat = "".join(line.strip() for line in printed.lines)
    assert "受理回执" in flat and "（补打）" in flat and "补打时间" in flat and no in flat
    assert "法定时限" in flat and printed.cuts == 1
    audit = json.loads(run(home, "audit", "list", "--limit", "1", "--json"))[0]
    assert (audit["action"], audit["target"]) == ("print.reprint", no)
    notice = run(home, "case", "print", no, "--doc", "一次性告知书", "--preview")
    assert "一 次 性 告 知 书" in notice and "（补打）" in notice
    refused = cases["refused"]
    assert "不 予 受 理 通 知 书" in run(home, "case", "print", refused, "--preview")
    assert "未受理，没有受理回执" in run(
        home, "case", "print", refused, "--doc", "受理回执", "--preview", code=1
    )
    assert "没有出件回执可补打" in run(
        home, "case", "print", no, "--doc", "出件回执", "--preview", code=1
    )
    assert "没有找到办件" in run(home, "case", "print", "nope", "--preview", code=1)


def test_a_reprint_that_cannot_print_says_so_and_keeps_nothing(home, printer):
    no = _cases(home)["accepted_missing"]
    printer.paper_out = True
    said = run(home, "case", "print", no, "--printer", printer.url, code=1)
    assert "受理回执未能打印：打印机缺纸，请装纸，请处理后重新补打" in said and "保留" not in said
    printer.paper_out = False
    assert printer.jobs == []
    audit = json.loads(run(home, "audit", "list", "--limit", "1", "--json"))[0]
    assert audit["action"] == "print.reprint" and audit["detail"]["printed"] is False
