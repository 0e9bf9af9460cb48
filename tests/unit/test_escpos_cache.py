"""python-escpos's printer database is parsed once per user and then read from a pickle
that is only ever in place whole: several processes starting at once all print."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

# A fresh process renders a receipt with a QR code (escpos's Dummy printer) and says where
# escpos looked for its pickle.
_RENDER = """
import os
from devices.printer.document import QR, Document
from devices.printer.render import Paper, to_escpos
data = to_escpos(Document("t", (QR("0"),)), Paper())
assert data.startswith(b"\\x1b@") or len(data) > 10
print(os.environ.get("ESCPOS_CAPABILITIES_PICKLE_DIR", ""))
"""


def _env(cache: Path, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "ESCPOS_CAPABILITIES_PICKLE_DIR"}
    return {**env, "XDG_CACHE_HOME": str(cache), "TMPDIR": str(tmp)}


def _start(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _RENDER], env=env, stdout=subprocess.PIPE, text=True
    )


def test_parsed_once_then_read_from_the_user_cache(tmp_path):
    # before the cache, escpos pickled into a new temporary directory and never found it
    cache, tmp = tmp_path / "cache", tmp_path / "tmp"
    tmp.mkdir()
    env = _env(cache, tmp)
    first = _start(env)
    first.communicate(timeout=120)
    assert first.returncode == 0
    pickles = list((cache / "window-clerk" / "escpos").glob("*.capabilities.pickle"))
    assert len(pickles) == 1 and pickles[0].stat().st_size > 1000
    # ours is gone (escpos itself makes an empty one per process, whatever it is told)
    assert not list(tmp.glob("clerk-escpos-*"))
    again = _start(env)
    out, _ = again.communicate(timeout=120)
    assert again.returncode == 0 and out.strip() == str(cache / "window-clerk" / "escpos")


def test_processes_starting_together_all_print(tmp_path):
    env = _env(tmp_path / "cache", Path(tempfile.mkdtemp(dir=tmp_path)))
    processes = [_start(env) for _ in range(4)]
    for p in processes:
        p.communicate(timeout=180)
    assert [p.returncode for p in processes] == [0, 0, 0, 0]
