"""The print spool: every job is on disk before it is sent and leaves only once sent.

A printer out of paper, with its cover open or unplugged keeps the jobs waiting in order; they
print when it is back. Jobs are files named by creation time, written atomically.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Job:
    path: Path
    name: str
    data: bytes

    @classmethod
    def load(cls, path: Path) -> Job:
        name, data = path.read_bytes().split(b"\n", 1)
        return cls(path, name.decode("utf-8"), data)


class Spool:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)

    def add(self, name: str, data: bytes) -> Job:
        """Store a job durably (receipts carry personal data: owner-only)."""
        path = self.directory / f"{time.time_ns():020d}.job"
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(name.replace("\n", " ").encode("utf-8") + b"\n" + data)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.rename(path)
        return Job.load(path)

    def pending(self) -> list[Job]:
        return [Job.load(p) for p in sorted(self.directory.glob("*.job"))]

    def done(self, job: Job) -> None:
        job.path.unlink(missing_ok=True)
