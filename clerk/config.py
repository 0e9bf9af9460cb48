"""Configuration: `clerk.toml` in the data directory, overridden by `CLERK_SECTION__FIELD`.

The data directory is `--home`, else `CLERK_HOME`, else the platform's user data directory.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

import platformdirs
import tomli_w
from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

CONFIG_FILE = "clerk.toml"
TOKEN_FILE = "platform.token"
DB_FILE = "clerk.db"


class CentreSettings(BaseModel):
    code: str = Field("", description="便民服务中心编码（9位行政区划+序号）")
    name: str = ""
    phone: str = Field("", description="咨询电话，印在回执上")


class WindowSettings(BaseModel):
    no: int = Field(1, ge=1, le=99)
    kind: str = "general"
    clerk: str = Field("", description="本窗口A岗人员工号；其他人员登录即为AB岗顶岗")


class DeskSettings(BaseModel):
    idle_lock_minutes: float = Field(5.0, gt=0, description="无操作多少分钟后自动锁屏")
    keys: dict[str, str] = Field(
        default_factory=dict,
        description='重新映射按键：绑定编号 = 按键，如 "desk.call_next" = "f1"',
    )


class EvaluatorSettings(BaseModel):
    url: str = Field("", description="评价器串口；空为模拟评价器")
    baudrate: int = 9600


class IdCardSettings(BaseModel):
    url: str = Field("", description="读卡器串口或URL；空为模拟读卡器")
    baudrate: int = 115200
    timeout: float = 3.0
    photo_decoder: str = Field("", description="厂商照片解码命令，如 wlt2bmp {wlt} {bmp}")


class PrinterSettings(BaseModel):
    url: str = Field("", description="file:、tcp://、serial:、usb: 打印机地址；空为模拟打印机")
    paper_mm: Literal[58, 80] = 80
    encoding: Literal["gb18030", "gbk"] = "gb18030"
    qr: Literal["native", "image"] = "native"
    chinese_mode: bool = True


class DisplaySettings(BaseModel):
    url: str = Field("", description="条屏串口或 socket://地址；空为模拟显示屏")
    template: str = "AA 55 {addr} {len} {text} {chk} 0D"
    encoding: Literal["gbk", "gb18030"] = "gbk"
    checksum: Literal["none", "xor", "sum8", "sum16", "crc16-modbus"] = "xor"
    checksum_from: int = 2
    address: int = 1
    baudrate: int = 9600


class VoiceSettings(BaseModel):
    engine: Literal["espeak", "clips", "none"] = "espeak"
    voice: str = "cmn"
    template: str = "请{ticket}号到{window}号窗口办理"
    repeat: int = Field(2, ge=1, le=5)
    output: str = Field("", description="空为声卡播放；目录则把每次叫号写成WAV文件")
    clips_dir: str = ""


class ScannerSettings(BaseModel):
    device: str = Field("", description="SANE设备名，如 test:0；空为模拟（SANE测试后端）")
    resolution: int = 200
    mode: str = "Gray"
    source: str = "Flatbed"
    image_format: Literal["jpeg", "png"] = "jpeg"
    folder: str = Field("", description="扫描到文件夹：监视此目录，代替 scanimage")


class PlatformSettings(BaseModel):
    url: str = Field("", description="平台接口地址，如 https://platform.example.gov.cn/api/v1")
    device_id: str = ""
    sync_interval: float = Field(60.0, description="后台同步的间隔秒数")
    retention_days: int = Field(180, ge=1, description="已办结且平台已确认的办件，个人信息保留天数")


class HallSettings(BaseModel):
    url: str = Field("", description="叫号服务地址，如 http://192.168.1.10:8800；空为本机内置队列")
    key: str = Field("", description="叫号服务密钥（clerk hall key 显示）")


class LogSettings(BaseModel):
    level: str = "INFO"
    max_bytes: int = 1_000_000
    backups: int = 10


class Settings(BaseSettings):
    """Everything configurable; sections match the TOML tables."""

    model_config = SettingsConfigDict(
        env_prefix="CLERK_", env_nested_delimiter="__", extra="ignore"
    )

    centre: CentreSettings = CentreSettings()
    window: WindowSettings = WindowSettings()
    idcard: IdCardSettings = IdCardSettings()
    printer: PrinterSettings = PrinterSettings()
    display: DisplaySettings = DisplaySettings()
    voice: VoiceSettings = VoiceSettings()
    scanner: ScannerSettings = ScannerSettings()
    evaluator: EvaluatorSettings = EvaluatorSettings()
    desk: DeskSettings = DeskSettings()
    platform: PlatformSettings = PlatformSettings()
    hall: HallSettings = HallSettings()
    log: LogSettings = LogSettings()

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


def resolve_home(option: str | Path | None = None) -> Path:
    """The data directory: the option, `CLERK_HOME`, or the platform default."""
    home = option or os.environ.get("CLERK_HOME") or platformdirs.user_data_dir("window-clerk")
    return Path(home).expanduser().resolve()


def load(home: Path) -> Settings:
    path = home / CONFIG_FILE
    data: dict[str, Any] = tomllib.loads(path.read_text("utf-8")) if path.exists() else {}
    return Settings(**data)


def save(home: Path, settings: Settings) -> Path:
    """Write the TOML file, owner-only like everything in the data directory."""
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = home / CONFIG_FILE
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        tomli_w.dump(settings.model_dump(mode="json"), handle)
    return path


def enrol(home: Path, settings: Settings, url: str, device_id: str, token: str) -> Path:
    """Keep the platform's token for this window (owner-only, never printed) and note where
    the platform is; the caller saves `settings`."""
    target = home / TOKEN_FILE
    fd = os.open(target, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    settings.platform.url, settings.platform.device_id = url, device_id
    return target
