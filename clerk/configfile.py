"""The configuration file without its model: where it is, reading and writing it, and the
last validated settings as plain data.

`clerk.config` validates the file with pydantic-settings, which costs more to import than
click itself. A command that only reads a few settings (`clerk sync status`, the logging
every command sets up) takes them from `checked()`: the settings `clerk.config.load` last
validated, kept beside the file and used only while the file, the `CLERK_*` environment and
the validating code are exactly as they were then; anything else validates again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

from clerk import __version__
from usererror import UserError

CONFIG_FILE = "clerk.toml"
CHECKED_FILE = ".checked-settings.json"  # the last validated settings (0600, like the file)
TOKEN_FILE = "platform.token"
DB_FILE = "clerk.db"


class ConfigError(UserError):
    """The configuration cannot be used; `str()` is one Chinese line naming file, line and key."""


def resolve_home(option: str | Path | None = None) -> Path:
    """The data directory: the option, `CLERK_HOME`, or the platform default."""
    home = option or os.environ.get("CLERK_HOME")
    if not home:
        import platformdirs

        home = platformdirs.user_data_dir("window-clerk")
    return Path(home).expanduser().resolve()


def read_text(path: Path) -> str:
    try:
        return path.read_text("utf-8") if path.exists() else ""
    except UnicodeDecodeError:
        raise ConfigError(f"配置文件 {path} 不是 UTF-8 文本，可能已损坏") from None
    except PermissionError:
        raise ConfigError(f"无权读取配置文件 {path}（应属于运行 clerk 的用户）") from None


def parse(path: Path, text: str) -> dict[str, Any]:
    import tomllib  # not for `checked`, whose kept copy needs only the text's digest

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        where = re.search(r"line (\d+), column (\d+)", str(error))
        at = f"第{where[1]}行第{where[2]}列" if where else ""
        raise ConfigError(f"配置文件 {path} {at}有语法错误（不符合 TOML 格式）") from None


def checked(home: Path) -> dict[str, Any]:
    """The validated settings of `home` as plain data (`Settings.model_dump(mode="json")`).

    Raises `ConfigError` as `clerk.config.load` does: the cached copy is used only when its
    stamp matches, so a changed file or variable is always validated before it is used."""
    text = read_text(home / CONFIG_FILE)
    stamp, kept = _stamp(text), home / CHECKED_FILE
    try:
        cached = json.loads(kept.read_text("utf-8"))
        if cached["stamp"] == stamp:
            return dict(cached["settings"])
    except (OSError, ValueError, KeyError, TypeError):
        pass  # absent, unreadable or from another version: validate
    from clerk.config import load

    settings = load(home).model_dump(mode="json")
    if kept.parent.is_dir():  # never create the data directory just to keep a cache
        body = json.dumps({"stamp": stamp, "settings": settings}, ensure_ascii=False)
        with contextlib.suppress(OSError):  # a full disk, a read-only mount: no cache, no harm
            write_atomic(kept, body.encode(), durable=False)
    return settings


def _stamp(text: str) -> str:
    """What the validated settings depend on: the file, the environment, the model's code."""
    model = Path(__file__).with_name("config.py").stat()
    env = sorted((k, v) for k, v in os.environ.items() if k.startswith("CLERK_"))
    parts = [__version__, model.st_mtime_ns, model.st_size, text, env]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()


def write_atomic(path: Path, data: bytes, *, durable: bool = True) -> Path:
    """Replace `path` by `data` (0600) in one step, durably, or leave it as it was
    (`durable=False` for a cache, which is rebuilt when lost)."""
    ensure_home(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        sync_dir(path.parent)
    return path


def ensure_home(home: Path) -> Path:
    """The data directory, created owner-only (0700) before anything is written into it."""
    old = os.umask(0o077)
    try:
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
    finally:
        os.umask(old)
    return home


def sync_dir(directory: Path) -> None:
    """Make a rename in `directory` durable (a power cut must not undo it)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
