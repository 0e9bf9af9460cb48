"""Window display frames from a template, and the hall voice queue with WAV output."""

from __future__ import annotations

import socket
import threading
import wave

import pytest

from devices.display import (
    CHECKSUMS,
    SimulatedDisplay,
    TemplateDisplay,
    TemplateSettings,
    build_frame,
)
from devices.errors import DeviceError, DeviceUnavailable
from devices.voice import Announcer, VoiceSettings, call_text, duration, spoken


def test_template_frame_bytes():
    settings = TemplateSettings(
        url="loop://",
        template="AA 55 {addr} {len} {text} {chk} 0D",
        encoding="gbk",
        checksum="xor",
        address=3,
    )
    frame = build_frame(settings, "B007")
    assert frame == bytes([0xAA, 0x55, 3, 4]) + b"B007" + bytes(
        [3 ^ 4 ^ 0x42 ^ 0x30 ^ 0x30 ^ 0x37, 0x0D]
    )
    chinese = build_frame(settings, "暂停服务")
    assert chinese[4:12] == "暂停服务".encode("gbk") and chinese[3] == 8


def test_checksums_and_two_byte_fields():
    assert CHECKSUMS["crc16-modbus"](b"123456789") == 0x4B37  # the standard check value
    assert CHECKSUMS["sum16"](b"\xff\xff\x02") == 0x0200
    settings = TemplateSettings(
        url="loop://",
        template="A5 {len16} {text} {chk16}",
        checksum="crc16-modbus",
        checksum_from=1,
        encoding="gb18030",
    )
    frame = build_frame(settings, "请")
    assert frame[:3] == b"\xa5\x00\x02" and frame[3:5] == "请".encode("gb18030")
    assert frame[5:] == CHECKSUMS["crc16-modbus"](frame[1:5]).to_bytes(2, "big")
    with pytest.raises(ValueError, match="unknown placeholder"):
        build_frame(TemplateSettings(url="loop://", template="AA {colour}"), "x")


def test_template_display_over_tcp():
    server = socket.create_server(("127.0.0.1", 0))
    received = bytearray()

    def capture():
        conn, _ = server.accept()
        with conn:
            while chunk := conn.recv(4096):
                received.extend(chunk)

    worker = threading.Thread(target=capture)
    worker.start()
    host, port = server.getsockname()
    display = TemplateDisplay(TemplateSettings(url=f"socket://{host}:{port}", pace=0.01))
    display.show_call("B007", 3)
    display.show_paused()
    display.close()
    worker.join(timeout=3)
    server.close()
    call, paused = (
        build_frame(display.settings, "B007 请到3号窗口"),
        build_frame(display.settings, "暂停服务"),
    )
    assert bytes(received) == call + paused


def test_unreachable_display_and_simulated_display():
    with pytest.raises(DeviceUnavailable, match="显示屏"):
        TemplateDisplay(TemplateSettings(url="socket://127.0.0.1:9")).show_idle("欢迎")
    screen = SimulatedDisplay()
    screen.show_call("A012", 2)
    screen.show_paused("午休")
    assert screen.shown == ["A012 请到2号窗口", "暂停服务"] and screen.current == "暂停服务"


def test_call_text_reads_digits_one_by_one():
    assert spoken("B007") == "B零零七"
    assert call_text(VoiceSettings(), "C012", 3) == "请C零一二号到3号窗口办理"


def test_calls_are_queued_in_order_and_never_overlap(tmp_path):
    announcer = Announcer(VoiceSettings(output=str(tmp_path), repeat=2, gap=0.3))
    calls = [announcer.announce(t, w) for t, w in (("A001", 1), ("B002", 2), ("C003", 3))]
    announcer.close()
    assert [c.text for c in announcer.history] == [c.text for c in calls]
    assert all(not c.error for c in calls), [c.error for c in calls]
    for before, after in zip(announcer.history, announcer.history[1:], strict=False):
        assert after.started >= before.ended  # one voice: no call cuts another off
    single = Announcer(VoiceSettings(output=str(tmp_path / "one"), repeat=1))
    single.say("请A零零一号到1号窗口办理")
    single.close()
    first, again = single.history[0].wav, calls[0].wav
    assert first and again
    once, twice = duration(first), duration(again)
    assert once > 1.0 and twice == pytest.approx(2 * once + 0.3, abs=0.05)
    assert sorted(p.name for p in tmp_path.glob("call-*.wav")) == sorted(
        c.wav.name for c in calls if c.wav
    )


def _clip(path, frames, rate=8000):
    with wave.open(str(path), "wb") as out:
        out.setparams((1, 2, rate, 0, "NONE", "not compressed"))
        out.writeframes(b"\x01\x00" * frames)


def test_recorded_clips_are_joined(tmp_path):
    clips = tmp_path / "clips"
    clips.mkdir()
    for name, frames in {
        "请": 800,
        "号": 400,
        "到": 400,
        "号窗口": 1200,
        "办理": 800,
        "A": 400,
        "零": 400,
        "一": 400,
        "3": 400,
    }.items():
        _clip(clips / f"{name}.wav", frames)
    announcer = Announcer(
        VoiceSettings(engine="clips", clips_dir=str(clips), repeat=1, output=str(tmp_path / "out"))
    )
    done = announcer.announce("A001", 3)
    missing = announcer.say("请Z号")
    announcer.close()
    # 请 A 零 零 一 号 到 3 号窗口 办理
    assert done.wav
    assert duration(done.wav) == pytest.approx((800 + 400 * 7 + 1200 + 800) / 8000)
    assert "缺少录音片段" in missing.error and missing.wav is None


def test_espeak_missing_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    announcer = Announcer(VoiceSettings(output=str(tmp_path)))
    item = announcer.say("测试")
    announcer.close()
    assert "未安装 espeak-ng" in item.error
    assert issubclass(DeviceUnavailable, DeviceError)
