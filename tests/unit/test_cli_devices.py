"""`clerk device` end to end against the simulators, in process and as real processes."""

from __future__ import annotations

import json
import socket
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
        assert data["is_expired"] is True and data["kind_code"] and data["nation_code"].isascii()
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
        flat = "".join(line.strip() for line in printed.lines)
        assert "（1）：。，、；“引号”《书名》" in flat  # wrapped where the paper ends
        assert printed.qr == ["window-clerk 打印测试"] and printed.cuts == 1
        sim.paper_out = True
        assert "测试页未能打印：打印机缺纸" in run(
            tmp_path, "device", "print-test", "--printer", f"tcp://{host}:{port}", code=1
        )
    finally:
        sim.close()


def test_list_and_check_with_simulated_devices(tmp_path):
    for key in ("idcard.url", "printer.url", "display.url", "evaluator.url", "scanner.device"):
        run(tmp_path, "config", "set", key, "sim:")
    run(tmp_path, "config", "set", "voice.output", str(tmp_path / "voice"))
    listed = json.loads(run(tmp_path, "device", "list", "--json"))
    assert [d["url"] for d in listed] == ["模拟（sim:）"] * 3 + [str(tmp_path / "voice")] + [
        "模拟（sim:）"
    ] * 2
    checked = json.loads(run(tmp_path, "device", "check", "--json"))
    states = {d["device"]: d["state"] for d in checked}
    assert states == {**dict.fromkeys(states, "模拟"), "voice": "正常"}
    assert list((tmp_path / "voice").glob("*.wav"))  # the voice really spoke, into a file


def test_check_names_cause_and_fix(tmp_path):
    run(tmp_path, "config", "set", "voice.engine", "none")
    run(tmp_path, "config", "set", "idcard.url", str(tmp_path / "ttyUSB9"))
    run(tmp_path, "config", "set", "printer.url", "lpt1")
    out = run(tmp_path, "device", "check", "--json", code=1)
    found = {d["device"]: d for d in json.loads(out)}
    assert found["idcard"]["state"] == "异常" and "不存在" in found["idcard"]["message"]
    assert "ls /dev/serial/by-id/" in found["idcard"]["fix"]
    assert "地址格式不对" in found["printer"]["message"] and "tcp://" in found["printer"]["fix"]
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    run(tmp_path, "config", "set", "printer.url", f"tcp://127.0.0.1:{port}")
    found = {d["device"]: d for d in json.loads(run(tmp_path, "device", "check", "--json", code=1))}
    assert (
        "无法连接打印机" in found["printer"]["message"]
        and "连接被拒绝" in found["printer"]["message"]
    )


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
    assert "未配置窗口显示屏" in run(tmp_path, "device", "display-test", code=1)
    assert "未配置扫描仪" in run(tmp_path, "device", "scan", "--out", "x.pdf", code=1)
    assert not (tmp_path / "x.pdf").exists()
    run(tmp_path, "config", "set", "display.url", "sim:")
    run(tmp_path, "config", "set", "scanner.device", "sim:")
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
