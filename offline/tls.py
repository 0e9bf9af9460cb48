"""TLS to the platform and the hall: whom to trust, and what a failed connection means.

A county platform or a hall service is often behind a certificate of the county's own CA (or a
self-signed one). The admin names that CA's file once (`[platform] ca_file`, `[hall] ca_file`,
or `--ca-file` of `clerk enrol` and `clerk hall join`); it is trusted beside the public CAs and
the system's store. Without it, the connection fails, and the admin is told that it is the
certificate, which kind of problem it is, and what to do, instead of "cannot connect".
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import TYPE_CHECKING

from usererror import UserError

if TYPE_CHECKING:  # the config's check of a CA file needs no HTTP client
    import httpx

# OpenSSL's verification codes (`X509_V_ERR_*`) and what each means for the admin.
_SELF_SIGNED = "是自签名证书"
_PRIVATE_CA = "由本机不认识的CA（如县级平台自建的CA）签发"
VERIFY_CODES = {
    18: _SELF_SIGNED,
    19: _PRIVATE_CA,
    20: _PRIVATE_CA,
    21: _PRIVATE_CA,
    2: _PRIVATE_CA,
    10: "已过期",
    9: "尚未生效（也可能是本机时间不对）",
    23: "已被吊销",
    62: "与地址不符（证书不是为这个地址签发的）",
    64: "与地址不符（证书不是为这个地址签发的）",
}
TRUST_ADVICE = (
    "请向平台或大厅管理员索取CA证书文件（PEM），用 clerk config set platform.ca_file 文件"
    " 指定（叫号服务为 hall.ca_file；clerk enrol 和 clerk hall join 也可加 --ca-file 文件）"
)
ADVICE = {
    _SELF_SIGNED: TRUST_ADVICE,
    _PRIVATE_CA: TRUST_ADVICE,
    "已过期": "请平台更换证书，并核对本机日期和时间",
    "尚未生效（也可能是本机时间不对）": "请核对本机日期和时间",
}


class CaFileError(UserError, ValueError):
    """The configured CA file cannot be used; `str()` names the file and why, in Chinese."""


def context(ca_file: str = "") -> ssl.SSLContext:
    """Trust the public CAs (certifi, as httpx does), the system's store (a CA installed with
    update-ca-certificates) and, when given, the admin's CA file."""
    import certifi

    trusted = ssl.create_default_context(cafile=certifi.where())
    trusted.load_default_certs()
    if ca_file:
        trusted.load_verify_locations(cafile=check_ca_file(ca_file))
    return trusted


def check_ca_file(path: str) -> str:
    """`path` when it is a readable PEM file with at least one certificate; `CaFileError`
    otherwise (`config set`, `config check`, `--ca-file` and each connection use this)."""
    file = Path(path).expanduser()
    if not file.is_absolute():
        raise CaFileError(f"CA证书文件应写完整路径（以 / 开头）：{path}")
    try:
        text = file.read_text("ascii", errors="replace")
    except FileNotFoundError:
        raise CaFileError(f"CA证书文件不存在：{file}") from None
    except OSError as error:
        raise CaFileError(f"CA证书文件无法读取：{file}（{error.strerror}）") from None
    if "-----BEGIN CERTIFICATE-----" not in text:
        raise CaFileError(f"不是PEM格式的CA证书文件（应含 BEGIN CERTIFICATE）：{file}")
    try:
        ssl.create_default_context(cafile=str(file))
    except ssl.SSLError:
        raise CaFileError(f"CA证书文件已损坏，无法读取其中的证书：{file}") from None
    return str(file)


def certificate_problem(error: BaseException) -> str | None:
    """What is wrong with the other side's certificate, with what to do; None when the
    failure was not about TLS."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            what = VERIFY_CODES.get(seen.verify_code, f"无法验证（错误码 {seen.verify_code}）")
            advice = ADVICE.get(what, "请核对地址，并联系平台或大厅管理员")
            return f"证书问题：对方的证书{what}，{advice}"
        if isinstance(seen, ssl.SSLError):
            return (
                f"证书问题：TLS握手失败（{seen.reason or seen.library or '未知原因'}），"
                "对方可能不是 https 服务，请核对地址中的 https:// 和端口"
            )
        seen = seen.__cause__ or seen.__context__
    return None


def transport_problem(error: httpx.TransportError) -> str:
    """Why a request never got an answer, in Chinese: the certificate named as such."""
    import httpx

    if cause := certificate_problem(error):
        return cause
    if isinstance(error, httpx.TimeoutException):
        return "没有应答（超时）：网络太慢或对方忙，稍后再试"
    if isinstance(error, httpx.ConnectError):
        return "连接不上（网络不通、地址或端口错误，或对方服务未启动）"
    return "连接中断（网络不稳定或对方服务重启），稍后再试"
