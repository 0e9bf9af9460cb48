"""Checking an enrolment with a real request before the token is kept.

`clerk enrol` asks the platform for this device's `/state` with the token: the address, the
certificate, the device id and the token are all proven by the one answer, and each failure
has its own Chinese message (a certificate problem is named as such). Only then is the token
written, atomically and 0600.
"""

from __future__ import annotations

import ssl

import httpx

from offline.sync import Platform, SyncError

TIMEOUT = 15.0


class EnrolError(SyncError):
    """The platform did not confirm the enrolment; `str()` says why, in Chinese."""


def _certificate_problem(error: BaseException) -> str | None:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen.verify_message or "证书无法验证"
        if isinstance(seen, ssl.SSLError):
            return seen.reason or "TLS握手失败"
        seen = seen.__cause__ or seen.__context__
    return None


def verify(url: str, device_id: str, token: str, timeout: float = TIMEOUT) -> None:
    """Raise `EnrolError` unless the platform at `url` accepts this device and token."""
    Platform(url, device_id, token).check()  # https, except for a platform on this machine
    headers = {"Authorization": f"Bearer {token}", "X-Device-Id": device_id}
    try:
        response = httpx.get(url.rstrip("/") + "/state", headers=headers, timeout=timeout)
    except httpx.ConnectError as error:
        cause = _certificate_problem(error)
        if cause:
            raise EnrolError(
                f"平台证书有问题（{cause}）：可能已过期、是自签名的或与地址不符；"
                "请核对地址，或把平台的CA证书装入系统"
            ) from None
        raise EnrolError(f"平台无法连接：{url}（网络不通、地址或端口错误）") from None
    except httpx.TimeoutException:
        raise EnrolError(f"平台没有应答（{timeout:.0f}秒超时）：{url}") from None
    except httpx.HTTPError as error:
        raise EnrolError(f"平台无法连接：{url}（{type(error).__name__}）") from None
    if response.headers.get("X-Platform-Api") != "1":
        raise EnrolError(f"{url} 不是平台接口（地址错误，或网络需要先登录）")
    if response.status_code in (401, 403):
        raise EnrolError("平台不认可此设备编号和令牌：请核对平台为本机签发的设备编号和令牌文件")
    if response.status_code != 200:
        raise EnrolError(f"平台拒绝登记（HTTP {response.status_code}）")
