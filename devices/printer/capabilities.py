"""python-escpos's printer database, parsed once per user instead of once per process.

When `escpos` is first imported it reads its capabilities file with PyYAML (0.8 s of CPU,
which the desk spends in its warm-up thread while the clerk types) unless it finds a pickle
of it. By default it looks in a new temporary directory every time, so it never finds one.
`load()` points it at the user's cache directory instead; the pickle there is only ever put
in place whole (`os.replace`), so two processes starting at once never read half of one.
"""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import sys
import tempfile
from importlib import resources
from pathlib import Path

import platformdirs

ENV = "ESCPOS_CAPABILITIES_PICKLE_DIR"


def load() -> None:
    """Import `escpos.capabilities` through the per-user cache (before any escpos import)."""
    if "escpos.capabilities" not in sys.modules and ENV not in os.environ:
        _through_cache()
    import escpos.capabilities  # noqa: F401


def _through_cache() -> None:
    cache = Path(platformdirs.user_cache_dir("window-clerk")) / "escpos"
    pickled = cache / f"{platform.python_version()}.capabilities.pickle"
    with resources.as_file(resources.files("escpos") / "capabilities.json") as source:
        changed = source.stat().st_mtime
    if pickled.exists() and pickled.stat().st_mtime >= changed:
        os.environ[ENV] = str(cache)
        return
    private = tempfile.mkdtemp(prefix="clerk-escpos-")
    os.environ[ENV] = private
    try:
        import escpos.capabilities  # noqa: F401 - parses the file, pickles it in `private`

        with contextlib.suppress(OSError):  # no cache this time: the next start parses again
            cache.mkdir(parents=True, exist_ok=True, mode=0o700)
            part = cache / f"{pickled.name}.{os.getpid()}.part"
            shutil.copyfile(Path(private) / pickled.name, part)
            os.replace(part, pickled)
    finally:
        shutil.rmtree(private, ignore_errors=True)
        if pickled.exists():
            os.environ[ENV] = str(cache)
        else:
            del os.environ[ENV]
