"""The hall voice: "请B007号到3号窗口办理", repeated, one call after another, never overlapping.

Every call goes through one queue and one worker thread. Speech comes from espeak-ng's offline
Mandarin voice (`-v cmn`) or from recorded clips (请.wav, 号.wav, 0.wav ... A.wav) joined in
order. It plays on the sound device (aplay or paplay) or is written to WAV files.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import shutil
import subprocess
import tempfile
import threading
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path

from devices.errors import DeviceError, DeviceUnavailable

log = logging.getLogger("devices.voice")
DIGITS = dict(zip("0123456789", "零一二三四五六七八九", strict=True))


@dataclass(frozen=True)
class VoiceSettings:
    engine: str = "espeak"  # espeak, clips, or none
    voice: str = "cmn"
    speed: int = 150  # words per minute
    template: str = "请{ticket}号到{window}号窗口办理"
    repeat: int = 2
    gap: float = 0.8  # seconds of silence between repeats
    output: str = ""  # empty: the sound device; a directory: one WAV per call
    clips_dir: str = ""


@dataclass
class Announcement:
    text: str
    wav: Path | None = None
    started: float = 0.0
    ended: float = 0.0
    error: str = ""
    done: threading.Event = field(default_factory=threading.Event, repr=False)


def spoken(ticket: str) -> str:
    """Tickets are read digit by digit: B007 → B零零七."""
    return "".join(DIGITS.get(c, c) for c in ticket)


def call_text(settings: VoiceSettings, ticket: str, window_no: int) -> str:
    return settings.template.format(ticket=spoken(ticket), window=window_no)


class Announcer:
    """The one voice of a hall. `announce` returns at once; the worker speaks in order."""

    def __init__(self, settings: VoiceSettings) -> None:
        self.settings = settings
        self.history: list[Announcement] = []
        self._queue: queue.Queue[Announcement | None] = queue.Queue()
        self._worker = threading.Thread(target=self._run, daemon=True, name="announcer")
        self._worker.start()

    def announce(self, ticket: str, window_no: int) -> Announcement:
        return self.say(call_text(self.settings, ticket, window_no))

    def say(self, text: str) -> Announcement:
        item = Announcement(text)
        self._queue.put(item)
        return item

    def close(self, timeout: float = 30.0) -> None:
        """Finish what is queued, then stop."""
        self._queue.put(None)
        self._worker.join(timeout)

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            item.started = time.monotonic()
            try:
                item.wav = self._speak(item.text)
            except DeviceError as error:
                item.error = str(error)
                log.warning("announcement failed: %s", error)
            item.ended = time.monotonic()
            self.history.append(item)
            item.done.set()

    def _speak(self, text: str) -> Path | None:
        if self.settings.engine == "none":
            return None
        with tempfile.TemporaryDirectory() as tmp:
            once = Path(tmp) / "once.wav"
            if self.settings.engine == "clips":
                join_clips(Path(self.settings.clips_dir), text, once)
            else:
                self._espeak(text, once)
            whole = Path(tmp) / "call.wav"
            repeat(once, whole, self.settings.repeat, self.settings.gap)
            if self.settings.output:
                out = Path(self.settings.output)
                out.mkdir(parents=True, exist_ok=True)
                target = out / f"call-{time.time_ns()}.wav"
                shutil.copyfile(whole, target)
                return target
            _play(whole)
            return None

    def _espeak(self, text: str, wav: Path) -> None:
        args = [
            "espeak-ng",
            "-v",
            self.settings.voice,
            "-s",
            str(self.settings.speed),
            "-w",
            str(wav),
            text,
        ]
        try:
            subprocess.run(args, check=True, capture_output=True, timeout=30)
        except FileNotFoundError:
            raise DeviceUnavailable("未安装 espeak-ng，无法语音叫号") from None
        except (subprocess.SubprocessError, OSError) as error:
            raise DeviceError(f"语音合成失败：{error}") from None


def join_clips(clips: Path, text: str, out: Path) -> None:
    """Join recorded clips for `text`, longest clip name first at each position."""
    names = sorted((p.stem for p in clips.glob("*.wav")), key=len, reverse=True)
    parts, i = [], 0
    while i < len(text):
        name = next((n for n in names if text.startswith(n, i)), None)
        if name is None:
            raise DeviceError(f"缺少录音片段：“{text[i]}”（{clips}）")
        parts.append(clips / f"{name}.wav")
        i += len(name)
    _concatenate(parts, out, gap=0.0)


def repeat(wav: Path, out: Path, times: int, gap: float) -> None:
    _concatenate([wav] * max(1, times), out, gap)


def _concatenate(parts: list[Path], out: Path, gap: float) -> None:
    with wave.open(str(parts[0]), "rb") as first:
        params = first.getparams()
    silence = b"\x00" * int(params.framerate * gap) * params.sampwidth * params.nchannels
    with wave.open(str(out), "wb") as target:
        target.setparams(params)
        for n, part in enumerate(parts):
            with wave.open(str(part), "rb") as source:
                if source.getparams()[:3] != params[:3]:
                    raise DeviceError(f"录音片段格式不一致：{part.name}")
                if n:
                    target.writeframes(silence)
                target.writeframes(source.readframes(source.getnframes()))


def _play(wav: Path) -> None:
    player = shutil.which("aplay") or shutil.which("paplay")
    if player is None:
        raise DeviceUnavailable("没有可用的播放程序（aplay 或 paplay），请配置输出目录")
    with contextlib.suppress(subprocess.TimeoutExpired):
        done = subprocess.run([player, str(wav)], capture_output=True, timeout=60)
        if done.returncode:
            raise DeviceUnavailable("无法播放声音，请检查音响设备")


def duration(wav: Path) -> float:
    with wave.open(str(wav), "rb") as source:
        return source.getnframes() / source.getframerate()
