"""Backup and restore of a window's whole data directory, as one archive with a manifest.

What is in it: `clerk.db` and `hall.db` (through SQLite's online backup API, consistent while
the desk writes), `clerk.toml`, `platform.token`, the scans (`blobs/`) and the print spool
(`spool/`), and `manifest.json` with each file's size and SHA-256. `restore` checks every
checksum before it writes anything.

No case number is issued twice after a restore. The restored database only knows the numbers
issued up to the backup; the lost machine may have issued more since. So a restore moves this
window's numbering, for every day from the backup's day to today, `RESTORE_MARGIN` (1000)
numbers on: the next case after a restore the same day is 1001 or later, which no window
reaches in a day. (Cases the lost machine accepted after the backup come back from the
platform at the next sync, under their own numbers.)
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from clerk import config
from offline.clock import now
from usererror import UserError

MANIFEST = "manifest.json"
FORMAT = 1
DATABASES = (config.DB_FILE, "hall.db")
FILES = (config.CONFIG_FILE, config.TOKEN_FILE)
TREES = ("blobs", "spool")


class BackupError(UserError):
    """A backup or restore that cannot be done; `str()` is one Chinese line."""


@dataclass(frozen=True)
class Restored:
    files: int
    created_at: str
    days_moved: int


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


Progress = Callable[[str, int, int], None]  # (stage, done, total) of a long backup or restore


def _collect(home: Path, staging: Path, tell: Progress) -> list[Path]:
    """Copy what the archive holds into `staging`: databases by the online backup API."""
    from offline.db import backup_file

    names = []
    for name in DATABASES:
        if (home / name).exists():
            backup_file(home / name, staging / name)
            names.append(Path(name))
    for name in FILES:
        if (home / name).exists():
            shutil.copy2(home / name, staging / name)
            names.append(Path(name))
    files = [
        path
        for tree in TREES
        for path in (sorted((home / tree).rglob("*")) if (home / tree).is_dir() else [])
        if path.is_file()
    ]
    for done, path in enumerate(files, 1):  # scans: the bulk of a window's data
        target = staging / path.relative_to(home)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
        names.append(path.relative_to(home))
        tell("copied", done, len(files))
    return names


def create(
    home: Path, dest_dir: Path, reason: str = "manual", progress: Progress | None = None
) -> Path:
    """Write `clerk-backup-<time>.tar` (0600) into `dest_dir`, atomically; returns its path.
    `progress(stage, done, total)` is told file by file: `copied`, `summed`, `archived`."""
    tell = progress or _silent
    settings = config.load(home)
    if not settings.initialised or not (home / config.DB_FILE).exists():
        raise BackupError(f"数据目录 {home} 尚未初始化，没有可备份的数据")
    config.ensure_home(dest_dir)
    stamp = now()
    target = dest_dir / f"clerk-backup-{stamp:%Y%m%d-%H%M%S}.tar"
    n = 1
    while target.exists():  # two backups in one second keep both
        n += 1
        target = dest_dir / f"clerk-backup-{stamp:%Y%m%d-%H%M%S}-{n}.tar"
    with tempfile.TemporaryDirectory(dir=dest_dir, prefix=".backup-") as tmp:
        staging = Path(tmp) / "data"
        staging.mkdir(mode=0o700)
        names = _collect(home, staging, tell)
        manifest = {
            "format": FORMAT,
            "created_at": stamp.isoformat(),
            "reason": reason,
            "centre_code": settings.centre.code,
            "window_no": settings.window.no,
            "files": _summed(staging, names, tell),
        }
        partial = Path(tmp) / "archive.tar"
        fd = os.open(partial, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w") as archive:
            data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode, info.mtime = len(data), 0o600, int(stamp.timestamp())
            archive.addfile(info, io.BytesIO(data))
            for done, name in enumerate(names, 1):
                archive.add(staging / name, arcname=str(name), recursive=False)
                tell("archived", done, len(names))
            raw.flush()
            os.fsync(raw.fileno())
        os.link(partial, target)  # fails rather than replace an archive made meanwhile
    config.sync_dir(dest_dir)
    return target


def _silent(stage: str, done: int, total: int) -> None:
    """No progress to tell (the backup timer, tests)."""


def _summed(staging: Path, names: list[Path], tell: Progress) -> dict[str, dict]:
    """Each file's size and SHA-256, for the manifest."""
    files = {}
    for done, name in enumerate(names, 1):
        path = staging / name
        files[str(name)] = {"size": path.stat().st_size, "sha256": _sha256(path)}
        tell("summed", done, len(names))
    return files


def read_manifest(archive_path: Path) -> dict:
    try:
        with tarfile.open(archive_path) as archive:
            member = archive.extractfile(MANIFEST)
            if member is None:
                raise KeyError(MANIFEST)
            return dict(json.loads(member.read()))
    except (tarfile.TarError, KeyError, ValueError, OSError):
        raise BackupError(f"{archive_path} 不是有效的备份文件（缺少或损坏的清单）") from None


def verify(archive_path: Path, into: Path, progress: Progress | None = None) -> dict:
    """Extract into `into` and check every file against the manifest; the manifest.
    `progress("checked", done, total)` is told as each file's checksum is."""
    manifest = read_manifest(archive_path)
    if manifest.get("format") != FORMAT:
        raise BackupError(f"备份格式 {manifest.get('format')} 不受支持")
    with tarfile.open(archive_path) as archive:
        archive.extractall(into, filter="data")
    for done, (name, meta) in enumerate(manifest["files"].items(), 1):
        path = into / name
        if not path.is_file() or _sha256(path) != meta["sha256"]:
            raise BackupError(f"备份已损坏：{name} 的校验和不符，未恢复任何文件")
        (progress or _silent)("checked", done, len(manifest["files"]))
    return manifest


def restore(
    archive_path: Path, home: Path, *, today: date | None = None, progress: Progress | None = None
) -> Restored:
    """Put a checked archive back into `home` and move numbering past the backup."""
    from offline.numbering import skip_after_restore
    from offline.store import Store

    config.ensure_home(home)
    with tempfile.TemporaryDirectory(dir=home, prefix=".restore-") as tmp:
        staging = Path(tmp)
        manifest = verify(archive_path, staging, progress)
        for name in manifest["files"]:
            target = home / name
            config.ensure_home(target.parent)
            os.chmod(staging / name, 0o600)
            for stale in (f"{target}-wal", f"{target}-shm"):
                Path(stale).unlink(missing_ok=True)
            os.replace(staging / name, target)
    settings = config.load(home)
    store = Store(
        home / config.DB_FILE, centre_code=settings.centre.code, window_no=settings.window.no
    )
    try:
        since = datetime.fromisoformat(manifest["created_at"]).date()
        moved = skip_after_restore(
            store.db, settings.centre.code, settings.window.no, since, today or now().date()
        )
        store.audit("cli:restore", "backup.restore", archive_path.name, {"since": str(since)})
    finally:
        store.close()
    return Restored(len(manifest["files"]), manifest["created_at"], moved)
