"""`clerk device` end to end against the simulators, in process and as real processes."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from devices.idcard.simulator import SamSimulator
from devices.printer.decode import decode
from devices.printer.simulator import PrinterSimulator
from tests.conftest import cli as run


def test_idcard_read_masked_full_and_json(tmp_path):
    sim = SamSimulator()
    port = sim.serve_pty(link=tmp_path / "ttyID")
    try:
        assert "没有证件" in run(tmp_path, "device", "idcard", "read", "--port", port, code=1)
        sim.place(0)
        out = run(tmp_path, "device", "idcard", "read", "--port", port)
        assert "姓名：张三" in out and "3302**********1238" in out and "照片需厂商解码库" in out
        sim.lift()
        sim.place(0)
        assert "330212198001011238" in run(
            tmp_path, "device", "idcard", "read", "--port", port, "--full"
        )
        sim.lift()
        sim.place(5)
        data = json.loads(run(tmp_path, "device", "idcard", "read", "--port", port, "--json"))
        assert (data["expired"], data["nation"]) == ("已过期", "回")
    finally:
        sim.close()
    assert "无法打开读卡器" in run(
        tmp_path, "device", "idcard", "read", "--port", str(tmp_path / "gone"), code=1
    )
    assert "未配置读卡器" in run(tmp_path, "device", "idcard", "read", code=1)


def test_print_test_to_a_network_printer(tmp_path):
    sim = PrinterSimulator()
    host, port = sim.serve()
    try:
        out = run(
            tmp_path, "device", "print-test", "--printer", f"tcp://{host}:{port}", "--paper", "58"
        )
        assert "已打印 1 份" in out and "+" + "-" * 32 + "+" in out
        printed = decode(sim.wait_jobs(1)[0])
        assert "（1）：。，、；“引号”《书名》" in printed.text.replace("\n  ", "")
        assert printed.qr == ["window-clerk 打印测试"] and printed.cuts == 1
        sim.paper_out = True
        assert "测试页未能打印：打印机缺纸" in run(
            tmp_path, "device", "print-test", "--printer", f"tcp://{host}:{port}", code=1
        )
    finally:
        sim.close()


def test_list_and_check_with_simulated_devices(tmp_path):
    listed = json.loads(run(tmp_path, "device", "list", "--json"))
    assert [d["url"] for d in listed] == [
        "模拟读卡器",
        "模拟打印机",
        "模拟显示屏",
        "声卡",
        "模拟扫描仪（SANE测试后端）",
    ]
    checked = json.loads(run(tmp_path, "device", "check", "--json"))
    assert all(d["ok"] for d in checked)


def test_simulators_as_processes(tmp_path):
    """What an admin does: start a simulator, point the client at the address it prints."""
    printer = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "clerk",
            "device",
            "simulate",
            "printer",
            "--out",
            str(tmp_path / "out"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    reader = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "clerk",
            "device",
            "simulate",
            "idcard",
            "--tcp",
            "0",
            "--place",
            "1",
            "--bad-checksum",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        url = printer.stdout.readline().strip()
        assert url.startswith("tcp://127.0.0.1:")
        run(tmp_path, "device", "print-test", "--printer", url)
        deadline = time.monotonic() + 5
        while not list((tmp_path / "out").glob("*.txt")) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "打印测试" in next((tmp_path / "out").glob("*.txt")).read_text("utf-8")
        port = reader.stdout.readline().strip()
        assert port.startswith("socket://")
        assert "姓名：赵秀英" in run(tmp_path, "device", "idcard", "read", "--port", port)
    finally:
        for process in (printer, reader):
            process.terminate()
            assert process.wait(timeout=5) == 0
            process.stdout.close()


def test_say_display_and_scan(tmp_path):
    out = run(tmp_path, "device", "say", "请A零零一号到3号窗口办理", "--out", str(tmp_path / "v"))
    assert "已生成" in out and len(list((tmp_path / "v").glob("*.wav"))) == 1
    assert "模拟显示屏显示：A001 请到3号窗口" in run(
        tmp_path, "device", "display-test", "--window", "3"
    )
    out = run(
        tmp_path, "device", "scan", "--out", str(tmp_path / "m.pdf"), "--feeder", "--pages", "2"
    )
    assert "已扫描 2 页" in out and (tmp_path / "m.pdf").read_bytes().startswith(b"%PDF-")


def test_scan_from_a_folder(tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    (tmp_path / "clerk.toml").write_text(f'[scanner]\nfolder = "{folder}"\n', "utf-8")
    (folder / "scan.pdf").write_bytes(b"%PDF-1.4 from the copier")
    out = run(tmp_path, "device", "scan", "--out", str(tmp_path / "m.pdf"), "--wait", "5")
    assert "已扫描 1 页" in out
    assert (tmp_path / "m.pdf").read_bytes() == b"%PDF-1.4 from the copier"
    assert "没有新文件" in run(
        tmp_path, "device", "scan", "--out", str(tmp_path / "n.pdf"), "--wait", "0.5", code=1
    )
