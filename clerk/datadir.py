"""The data directory's permissions: owner-only, checked and mended.

Everything in it (database, config, token, logs, spool, scans, backups made into it) is
personal data or a secret: directories 0700, files 0600, owned by the user who runs clerk.
`clerk db check` reports what is looser and `clerk db check --fix` tightens it.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

DIR_MODE, FILE_MODE = 0o700, 0o600


@dataclass(frozen=True)
class LooseMode:
    path: Path
    mode: int
    wanted: int

    def __str__(self) -> str:
        return f"{self.path} 权限为 {self.mode:o}，应为 {self.wanted:o}（仅所有者可读写）"


def loose_modes(home: Path) -> list[LooseMode]:
    """Every directory and file under `home` (itself included) readable by others."""
    found = []
    for path in [home, *sorted(home.rglob("*"))]:
        try:
            info = path.lstat()
        except FileNotFoundError:  # gone while we looked (a spool job printed)
            continue
        if stat.S_ISLNK(info.st_mode):
            continue
        mode = stat.S_IMODE(info.st_mode)
        wanted = DIR_MODE if stat.S_ISDIR(info.st_mode) else FILE_MODE
        if mode & 0o077:
            found.append(LooseMode(path, mode, wanted))
    return found


def others_own(home: Path) -> list[Path]:
    """Files under `home` owned by another user (copied in as root, say)."""
    me = os.getuid()
    return [p for p in [home, *home.rglob("*")] if p.exists() and p.lstat().st_uid != me]


def fix_modes(home: Path) -> list[LooseMode]:
    """Tighten every loose mode; returns what was changed."""
    loose = loose_modes(home)
    for item in loose:
        os.chmod(item.path, item.mode & 0o700 if item.wanted == DIR_MODE else item.mode & 0o600)
    return loose
