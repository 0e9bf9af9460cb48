"""Checking an enrolment with a real request before the token is kept.

`clerk enrol` asks the platform for this device's `/state` with the token: the address, the
certificate, the device id and the token are all proven by the one answer, and each failure
has its own Chinese message (a certificate problem is named as such, with what to do). Only
then is the token written, atomically and 0600.
"""

from __future__ import annotations

import httpx

from offline import tls
from offline.sync import Platform, SyncError

TIMEOUT = 15.0


class EnrolError(SyncError):
    """The platform did not confirm the enrolment; `str()` says why, in Chinese."""


def verify(
    url: str, device_id: str, token: str, ca_file: str = "", timeout: float = TIMEOUT
) -> None:
    """Raise `EnrolError` unless the platform at `url` accepts this device and token."""
    Platform(url, device_id, token).check()  # https, except for a platform on this machine
    headers = {"Authorization": f"Bearer {token}", "X-Device-Id": device_id}
    try:
        response = httpx.get(
            url.rstrip("/") + "/state",
            headers=headers,
            timeout=timeout,
            verify=tls.context(ca_file),
        )
    except httpx.TransportError as error:
        if cause := tls.certificate_problem(error):
            raise EnrolError(f"平台的{cause}") from None
        raise EnrolError(f"平台无法连接：{url}（{tls.transport_problem(error)}）") from None
    if response.headers.get("X-Platform-Api") != "1":
        raise EnrolError(f"{url} 不是平台接口（地址错误，或网络需要先登录）")
    if response.status_code in (401, 403):
        raise EnrolError("平台不认可此设备编号和令牌：请核对平台为本机签发的设备编号和令牌文件")
    if response.status_code != 200:
        raise EnrolError(f"平台拒绝登记（HTTP {response.status_code}）")
