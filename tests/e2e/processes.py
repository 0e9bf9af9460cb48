"""The real processes an end-to-end test starts (`clerk hall serve`, windows, writers), none
of them outliving the test: the `processes` fixture kills every one still running when the
test ends, passed or failed, and each dies with pytest itself should pytest be killed before
its fixtures finish (Linux's parent-death signal, set before the program starts)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

# Asks the kernel to SIGKILL this process when its parent ends (the setting survives exec),
# gives up if the parent is already gone, then becomes the program.
ORPHANLESS = (
    "import ctypes, os, sys\n"
    "ctypes.CDLL(None).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL\n"
    "os.getppid() == int(sys.argv[1]) or sys.exit(1)\n"
    "os.execv(sys.argv[2], sys.argv[2:])\n"
)


class Processes:
    """Starts processes for one test, each in a session of its own so that killing one takes
    its children too; `kill_all()` at the end of the test."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen] = []

    def start(self, args: list[str], **popen: Any) -> subprocess.Popen:
        """`args` (a program and its arguments) as `subprocess.Popen` would start them. Start
        from the test's own thread: the parent-death signal follows the starting thread."""
        launcher = [sys.executable, "-c", ORPHANLESS, str(os.getpid())]
        process = subprocess.Popen([*launcher, *args], start_new_session=True, **popen)
        self.started.append(process)
        return process

    def clerk(self, *args: str, home: Path, **popen: Any) -> subprocess.Popen:
        """`clerk ARGS` of this checkout with `home` as its data directory."""
        env = {**os.environ, "PYTHONPATH": str(ROOT), "CLERK_HOME": str(home)}
        return self.start([sys.executable, "-m", "clerk", *args], env=env, **popen)

    def serve(self, *args: str, home: Path, **popen: Any) -> tuple[subprocess.Popen, str]:
        """`clerk … serve ARGS` and the URL it prints once it listens."""
        process = self.clerk(*args, home=home, stdout=subprocess.PIPE, text=True, **popen)
        assert process.stdout is not None
        return process, process.stdout.readline().strip()

    @staticmethod
    def kill(process: subprocess.Popen) -> None:
        """SIGKILL to the process and its children (a power cut); waits, closes its pipes."""
        if process.poll() is None:  # never a reaped process's number, which may be reused
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        for pipe in (process.stdin, process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()

    def kill_all(self) -> None:
        for process in self.started:
            self.kill(process)
