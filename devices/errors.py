"""Device errors: one tree, each with a message for the clerk in Chinese.

Callers catch `DeviceError` to show `str(error)`; "no card" or "printer busy" are states that
drivers report as values, not errors.
"""

from __future__ import annotations

from usererror import UserError


class DeviceError(UserError):
    """A device failed in a way the clerk should hear about; `str()` is the Chinese message."""

    message = "设备故障"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)


class DeviceUnavailable(DeviceError):
    message = "设备未连接或无法打开，请检查连接线和电源"


class DeviceNotConfigured(DeviceUnavailable):
    """The device's address is empty in `clerk.toml`: 未配置, never a simulator by accident."""

    def __init__(self, name: str, key: str) -> None:
        super().__init__(f"未配置{name}：请在 clerk.toml 设置 {key}（clerk config set）")


class DeviceTimeout(DeviceError):
    message = "设备没有响应（超时），请检查连接后重试"


class ProtocolError(DeviceError):
    message = "设备返回的数据无法识别，请重试"


class CardReadError(DeviceError):
    message = "读卡失败，请将证件重新放到读卡器上"


class PrinterError(DeviceError):
    message = "打印机故障"


class ScannerError(DeviceError):
    message = "扫描仪故障"
