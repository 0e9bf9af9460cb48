"""SANE scanners through `scanimage`, the same program an admin uses to test one.

Flatbed or feeder, resolution and colour mode from the config. `scanimage` exits with the SANE
status, which we turn into a message for the clerk: a jam, an empty feeder, an open cover.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from devices.errors import DeviceTimeout, DeviceUnavailable, ScannerError

FEEDER = "Automatic Document Feeder"
# SANE_Status codes that scanimage exits with, and what the clerk should do about them.
_STATUS = {
    2: "扫描已取消",
    3: "扫描仪正忙，请稍后再试",
    6: "扫描仪卡纸，请取出卡住的纸张后重新扫描",
    7: "送纸器里没有文件，请放好材料后重新扫描",
    8: "扫描仪盖板未合上，请合上后重新扫描",
    9: "扫描仪读写错误，请检查连接线后重试",
    11: "没有使用扫描仪的权限，请联系管理员",
}


@dataclass(frozen=True)
class ScannerSettings:
    device: str = ""  # e.g. test:0, genesys:libusb:001:005; empty: SANE's first device
    resolution: int = 200
    mode: str = "Gray"  # Gray, Color, Lineart (names vary by backend)
    source: str = "Flatbed"  # or the backend's feeder name, e.g. "Automatic Document Feeder"
    image_format: str = "jpeg"  # jpeg or png
    timeout: float = 120.0
    sane_config_dir: str = ""  # a private SANE_CONFIG_DIR, e.g. to enable the test backend


class SaneScanner:
    def __init__(self, settings: ScannerSettings) -> None:
        self.settings = settings

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.settings.sane_config_dir:
            env["SANE_CONFIG_DIR"] = self.settings.sane_config_dir
        return env

    def _base(self) -> list[str]:
        s = self.settings
        device = ["-d", s.device] if s.device else []
        return [
            "scanimage",
            *device,
            "--format",
            s.image_format,
            "--resolution",
            str(s.resolution),
            "--mode",
            s.mode,
            "--source",
            s.source,
        ]

    def scan(self, pages: int | None = None, extra: list[str] | None = None) -> list[bytes]:
        """Scan one page from the flatbed, or up to `pages` (all, if None) from the feeder."""
        feeder = self.settings.source != "Flatbed"
        suffix = "jpg" if self.settings.image_format == "jpeg" else self.settings.image_format
        with tempfile.TemporaryDirectory() as tmp:
            pattern = str(Path(tmp) / f"page%04d.{suffix}")
            args = [*self._base(), f"--batch={pattern}", *(extra or [])]
            if not feeder or pages:
                args.append(f"--batch-count={pages or 1}")
            code, err = self._run(args)
            found = sorted(Path(tmp).glob(f"page*.{suffix}"))
            if code in (0, 7) and found:  # 7: the feeder ran empty, the normal end of a batch
                return [p.read_bytes() for p in found]
            if code in (0, 7):
                raise ScannerError(_STATUS[7])
            raise ScannerError(_STATUS.get(code) or f"扫描失败：{err or code}")

    def _run(self, args: list[str]) -> tuple[int, str]:
        try:
            done = subprocess.run(
                args, env=self._env(), capture_output=True, text=True, timeout=self.settings.timeout
            )
        except FileNotFoundError:
            raise DeviceUnavailable("未安装 scanimage（sane-utils），无法使用扫描仪") from None
        except subprocess.TimeoutExpired:
            raise DeviceTimeout("扫描超时，请检查扫描仪后重试") from None
        err = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
        if done.returncode == 1 and ("open of device" in err or "no SANE devices" in err):
            raise DeviceUnavailable(f"找不到扫描仪：{self.settings.device or '默认设备'}")
        return done.returncode, err

    def check(self) -> str:
        """Whether SANE sees the configured device."""
        listed = subprocess.run(
            ["scanimage", "-f", "%d\n"], env=self._env(), capture_output=True, text=True, timeout=30
        ).stdout.split()
        if not listed:
            raise DeviceUnavailable("没有发现扫描仪")
        if self.settings.device and self.settings.device not in listed:
            raise DeviceUnavailable(f"找不到扫描仪 {self.settings.device}")
        return f"扫描仪正常（{self.settings.device or listed[0]}）"
