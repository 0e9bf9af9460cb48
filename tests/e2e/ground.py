"""Bad ground for real: run steps with a data directory on a tiny tmpfs of its own.

`python -m tests.e2e.ground MOUNT` runs inside a private mount namespace where MOUNT is a
fresh tmpfs (see `on_tiny_disk`). It reads a JSON list of steps on stdin and prints a JSON
list of results: each `clerk` command's exit code, stdout and stderr. Steps:

- `["copy", SRC]`: copy the prepared data directory SRC to MOUNT/home
- `["keep", DEST]`: copy MOUNT/home out to DEST, to look at after the namespace is gone
- `["fill"]`: fill the tmpfs to ENOSPC (again: a process that ends frees its -shm file);
  `["free"]` removes the filler
- `["ro"]` / `["rw"]`: remount the tmpfs read-only / read-write
- `["clerk", ARG, ...]`: `clerk --home MOUNT/home ARG ...` (stdin from a step's "input")
- `["python", CODE]`: run CODE with HOME set to MOUNT/home (a desk's service call)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def on_tiny_disk(mount: Path, steps: list, size: str = "4m") -> list[dict]:
    """Run `steps` with `mount` a tmpfs of `size`, in a mount namespace of their own.

    There is no skip: where a private tmpfs cannot be mounted, the test fails and says so
    (CI runs as root, where `unshare -m` always works; elsewhere a user namespace is needed)."""
    unshare = shutil.which("unshare")
    assert unshare, "unshare (util-linux) is needed for the full-disk and read-only tests"
    mount.mkdir(exist_ok=True)
    script = (
        'mount -t tmpfs -o size="$1",mode=0700 tmpfs "$2" && exec "$3" -m tests.e2e.ground "$2"'
    )
    flags = ["-m"] if os.geteuid() == 0 else ["-r", "-m"]
    done = subprocess.run(
        [unshare, *flags, "sh", "-c", script, "sh", size, str(mount), sys.executable],
        input=json.dumps(steps),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert done.returncode == 0, f"the tmpfs could not be set up: {done.stderr}"
    results = list(json.loads(done.stdout))
    broken = [r for r in results if r["code"] == -1]
    assert not broken, f"a step of the test itself failed (is {size} too small?): {broken}"
    return results


def fill(mount: Path) -> None:
    """Write until the tmpfs refuses: big blocks first, then single bytes."""
    with (mount / "filler").open("ab", buffering=0) as out:
        for block in (1 << 16, 4096, 1):
            try:
                while True:
                    out.write(b"\0" * block)
            except OSError:
                continue


def remount(mount: Path, how: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{how}", str(mount)], check=True)


def _run(argv: list[str], step_input: str | None, home: Path) -> dict:
    env = {**os.environ, "CLERK_HOME": str(home), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(argv, input=step_input, capture_output=True, text=True, env=env)
    return {"argv": argv, "code": done.returncode, "out": done.stdout, "err": done.stderr}


def _step(what: str, args: list[str], given: dict, mount: Path) -> dict | None:
    home = mount / "home"
    if what == "copy":
        shutil.copytree(args[0], home, symlinks=True)
    elif what == "keep":
        shutil.copytree(home, args[0], symlinks=True)
    elif what == "fill":
        fill(mount)
    elif what == "free":
        (mount / "filler").unlink()
    elif what in ("ro", "rw"):
        remount(mount, what)
    elif what == "clerk":
        argv = [sys.executable, "-m", "clerk", "--home", str(home), *args]
        return _run(argv, given.get("input"), home)
    elif what == "python":
        return _run([sys.executable, "-c", args[0]], given.get("input"), home)
    else:
        raise ValueError(what)
    return None


def main(mount: Path) -> None:
    """Every step runs; a step that fails itself is reported as a result with code -1."""
    results = []
    for step in json.load(sys.stdin):
        given = step if isinstance(step, dict) else {"do": step}
        what, *args = given["do"]
        try:
            result = _step(what, args, given, mount)
        except Exception as error:
            result = {"argv": given["do"], "code": -1, "out": "", "err": repr(error)}
        if result is not None:
            results.append(result)
    json.dump(results, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
