"""Configuration: `clerk.toml` in the data directory, overridden by `CLERK_SECTION__FIELD`.

The data directory is `--home`, else `CLERK_HOME`, else the platform's user data directory.
The file checks itself: a syntax error names its line, an unknown key (a typo such as `ulr`)
is refused with its file, line and name instead of being silently ignored, and every
validation message is Chinese. A device is simulated only when its address says `sim:`;
an empty address is 未配置.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import tomli_w
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from clerk.configfile import (  # the file without the model; these names are used from here
    CONFIG_FILE,
    DB_FILE,
    TOKEN_FILE,
    ConfigError,
    ensure_home,
    parse,
    read_text,
    resolve_home,
    sync_dir,
    write_atomic,
)

__all__ = [
    "CONFIG_FILE",
    "DB_FILE",
    "TOKEN_FILE",
    "ConfigError",
    "ensure_home",
    "resolve_home",
    "sync_dir",
    "write_atomic",
]
SIMULATED = "sim:"  # the address of a simulated device


def simulated(address: str) -> bool:
    """Whether a device address asks for the simulator (`sim:`): never by accident."""
    return address.strip().startswith(SIMULATED)


class Section(BaseModel):
    """A TOML table: unknown keys are refused, not silently ignored. Named `…Section`, apart
    from a driver's own `…Settings` (`devices`), which `clerk.services` builds from these."""

    model_config = ConfigDict(extra="forbid")


class CentreSection(Section):
    code: str = Field("", description="便民服务中心编码（9位行政区划+序号）")
    name: str = ""
    phone: str = Field("", description="咨询电话，印在回执上")
    review_body: str = Field(
        "", description="行政复议机关，印在不予受理通知书上，如“某某县人民政府”"
    )
    court: str = Field("", description="行政诉讼的人民法院；空为“有管辖权的人民法院”")


class WindowSection(Section):
    no: int = Field(1, ge=1, le=99)
    kind: str = "general"
    clerk: str = Field("", description="本窗口A岗人员工号；其他人员登录即为AB岗顶岗")


class DeskSection(Section):
    idle_lock_minutes: float = Field(5.0, gt=0, description="无操作多少分钟后自动锁屏")
    keys: dict[str, str] = Field(
        default_factory=dict,
        description='重新映射按键：绑定编号 = 按键，如 "desk.call_next" = "f1"',
    )


class EvaluatorSection(Section):
    url: str = Field("", description="评价器串口；sim: 为模拟评价器，空为未配置")
    baudrate: int = 9600


class IdCardSection(Section):
    url: str = Field("", description="读卡器串口或URL；sim: 为模拟读卡器，空为未配置")
    baudrate: int = 115200
    timeout: float = 3.0
    photo_decoder: str = Field("", description="厂商照片解码命令，如 wlt2bmp {wlt} {bmp}")


class PrinterSection(Section):
    url: str = Field(
        "", description="file:、tcp://、serial:、usb: 打印机地址；sim: 为模拟打印机，空为未配置"
    )
    paper_mm: Literal[58, 80] = 80
    encoding: Literal["gbk", "gb18030"] = Field(
        "gbk", description="打印机字库编码；字库没有的生僻字按字形图片打印"
    )
    glyph_font: str = Field("", description="生僻字字体文件；空为已安装的 BabelStone Han")
    qr: Literal["native", "image"] = "native"
    chinese_mode: bool = True


class DisplaySection(Section):
    url: str = Field("", description="条屏串口或 socket://地址；sim: 为模拟显示屏，空为未配置")
    template: str = "AA 55 {addr} {len} {text} {chk} 0D"
    encoding: Literal["gbk", "gb18030"] = "gbk"
    checksum: Literal["none", "xor", "sum8", "sum16", "crc16-modbus"] = "xor"
    checksum_from: int = 2
    address: int = 1
    baudrate: int = 9600


class VoiceSection(Section):
    engine: Literal["espeak", "clips", "none"] = "espeak"
    voice: str = "cmn"
    template: str = "请{ticket}号到{window}号窗口办理"
    repeat: int = Field(2, ge=1, le=5)
    output: str = Field("", description="空为声卡播放；目录则把每次叫号写成WAV文件")
    clips_dir: str = ""


class ScannerSection(Section):
    device: str = Field(
        "", description="SANE设备名（scanimage -L 列出）；sim: 为模拟（SANE测试后端），空为未配置"
    )
    resolution: int = 200
    mode: str = "Gray"
    source: str = "Flatbed"
    image_format: Literal["jpeg", "png"] = "jpeg"
    folder: str = Field("", description="扫描到文件夹：监视此目录，代替 scanimage")


def _ca_file(path: str) -> str:
    """A CA file is named by its full path. Whether it is there and a certificate is checked
    where it is set (`config set`, `--ca-file`), by `config check` and at each connection,
    not here: a file gone missing must not stop `case list` or the `config set` that mends it."""
    if path and not Path(path).expanduser().is_absolute():
        raise ValueError(f"CA证书文件应写完整路径（以 / 开头）：{path}")
    return str(Path(path).expanduser()) if path else path


CaFile = Annotated[str, AfterValidator(_ca_file)]


class PlatformSection(Section):
    url: str = Field("", description="平台接口地址，如 https://platform.example.gov.cn/api/v1")
    device_id: str = ""
    ca_file: CaFile = Field(
        "", description="平台证书的CA证书文件（PEM，完整路径）；空为只信任公共CA和系统CA"
    )
    sync_interval: float = Field(60.0, description="后台同步的间隔秒数")
    retention_days: int = Field(180, ge=1, description="已办结且平台已确认的办件，个人信息保留天数")


class HallSection(Section):
    url: str = Field("", description="叫号服务地址，如 http://192.168.1.10:8800；空为本机内置队列")
    key: str = Field("", description="叫号服务密钥（clerk hall key 显示）")
    ca_file: CaFile = Field(
        "", description="叫号服务使用 https 时，其证书的CA证书文件（PEM，完整路径）"
    )


class LogSection(Section):
    level: str = "INFO"
    max_bytes: int = 1_000_000
    backups: int = 10


class Settings(BaseSettings):
    """Everything configurable; sections match the TOML tables."""

    model_config = SettingsConfigDict(
        env_prefix="CLERK_", env_nested_delimiter="__", extra="forbid"
    )

    centre: CentreSection = CentreSection()
    window: WindowSection = WindowSection()
    idcard: IdCardSection = IdCardSection()
    printer: PrinterSection = PrinterSection()
    display: DisplaySection = DisplaySection()
    voice: VoiceSection = VoiceSection()
    scanner: ScannerSection = ScannerSection()
    evaluator: EvaluatorSection = EvaluatorSection()
    desk: DeskSection = DeskSection()
    platform: PlatformSection = PlatformSection()
    hall: HallSection = HallSection()
    log: LogSection = LogSection()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The TOML file arrives as init values, so the environment must come first to win.
        return env_settings, init_settings

    @property
    def initialised(self) -> bool:
        return bool(self.centre.code)


def load(home: Path) -> Settings:
    """The settings of `home`; raises `ConfigError` naming the file, line and key at fault."""
    path = home / CONFIG_FILE
    text = read_text(path)
    try:
        return Settings(**parse(path, text))
    except ValidationError as error:
        raise ConfigError(explain(error, path, text)) from None


def file_data(home: Path) -> dict[str, Any]:
    """What the file itself says, without the environment: what `config set` edits."""
    path = home / CONFIG_FILE
    return parse(path, read_text(path))


_TABLE = re.compile(r"^\s*\[+\s*([^\]]+?)\s*\]+")
_KEY = re.compile(r"^\s*(\"[^\"]+\"|[A-Za-z0-9_.-]+)\s*=")


def key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Where each key of a (flat, hand-written) TOML file is: its dotted path to a line."""
    lines: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    for n, line in enumerate(text.splitlines(), 1):
        if found := _TABLE.match(line):
            table = tuple(part.strip().strip('"') for part in found[1].split("."))
            lines.setdefault(table, n)
        elif found := _KEY.match(line):
            lines.setdefault((*table, found[1].strip('"')), n)
    return lines


# Where the config's words differ from data files' (`offline.problems`).
CONFIG_WORDS = {
    "extra_forbidden": "未知的配置项（拼写错误？）",
    "string_type": "应为文本（加英文双引号）",
    "dict_type": "应为一个表（[节名]）",
    "model_type": "应为一个表（[节名]）",
    "model_attributes_type": "应为一个表（[节名]）",
}


def reason(error: Any) -> str:
    """One pydantic error detail in Chinese, as the config's reader needs it."""
    from offline.problems import reason as chinese

    return chinese(error, CONFIG_WORDS)


def explain(error: ValidationError, path: Path, text: str) -> str:
    """The first problem as one line naming where it is: file and line, or the variable."""
    first = error.errors()[0]
    loc = tuple(str(part) for part in first["loc"])
    key = ".".join(loc)
    lines = key_lines(text)
    if loc in lines:
        return f"配置文件 {path} 第{lines[loc]}行 {key}：{reason(first)}"
    variable = "CLERK_" + "__".join(loc).upper()
    if variable in os.environ:
        return f"环境变量 {variable}：{reason(first)}"
    return f"配置文件 {path} 中 {key or '（整个文件）'}：{reason(first)}"


def save(home: Path, settings: Settings) -> Path:
    """Write the TOML file atomically and owner-only: a full disk leaves the old file whole."""
    data = settings.model_dump(mode="json")
    return write_atomic(home / CONFIG_FILE, tomli_w.dumps(data).encode())


def enrol(home: Path, settings: Settings, url: str, device_id: str, token: str) -> Path:
    """Keep the platform's token for this window (atomically, owner-only, never printed) and
    note where the platform is; the caller saves `settings`."""
    target = write_atomic(home / TOKEN_FILE, (token + "\n").encode())
    settings.platform.url, settings.platform.device_id = url, device_id
    return target
