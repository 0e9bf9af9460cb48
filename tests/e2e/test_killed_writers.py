"""Writers killed with SIGKILL at random moments lose nothing committed and never reuse a
case number, even one whose case died between reservation and commit."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from offline.catalog import demo_catalog
from offline.store import Store
from tests.e2e.processes import Processes

ROOT = Path(__file__).resolve().parents[2]


def _start(processes: Processes, db: Path, log: Path, errors: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with open(errors, "ab") as err:
        args = [sys.executable, "-m", "tests.e2e.writer", str(db), str(log)]
        return processes.start(args, cwd=ROOT, env=env, stderr=err)


def _reserved(log: Path) -> int:
    return len(log.read_text().split()) if log.exists() else 0


def _writing(log: Path, since: int, timeout: float = 60.0) -> None:
    """Wait until the writer of `log` has reserved three numbers after `since` (so it has
    committed at least two cases and is at work), however slowly a loaded machine starts it."""
    end = time.monotonic() + timeout
    while _reserved(log) < since + 3:
        assert time.monotonic() < end, "a writer never started writing"
        time.sleep(0.05)


def test_kill_nine_in_a_loop_of_writers(tmp_path, processes: Processes):
    db, errors = tmp_path / "clerk.db", tmp_path / "writers.err"
    logs = [tmp_path / f"issued-{n}.txt" for n in range(3)]  # one per writer's slot
    Store(db, centre_code="330212105", window_no=3).import_catalog(demo_catalog(), by="test")
    rng = random.Random(7)
    writers = [_start(processes, db, log, errors) for log in logs]
    started = [0, 0, 0]  # numbers in each slot's log when its writer started
    for _ in range(16):
        victim = rng.randrange(len(writers))
        _writing(logs[victim], started[victim])
        time.sleep(rng.uniform(0.0, 0.2))  # land the kill anywhere in its work
        writers[victim].send_signal(signal.SIGKILL)
        writers[victim].wait()
        started[victim] = _reserved(logs[victim])
        writers[victim] = _start(processes, db, logs[victim], errors)
    for log, since in zip(logs, started, strict=True):
        _writing(log, since)
    for writer in writers:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    said = errors.read_text()
    assert all(w.returncode == -signal.SIGKILL for w in writers) and not said, said

    issued = [n for log in logs for n in log.read_text().split()]
    store = Store(db, centre_code="330212105", window_no=3)
    rows = store.db.execute(
        "SELECT c.local_no, o.payload, o.seq FROM cases AS c JOIN operations AS o USING (case_id)"
    ).fetchall()
    numbers = [local_no for local_no, _, _ in rows]
    assert len(numbers) > 20, "the writers should have committed cases"
    assert len(set(issued)) == len(issued), "a case number was issued twice"
    assert set(numbers) <= set(issued) and len(set(numbers)) == len(numbers)
    assert all(json.loads(payload)["local_no"] == no and seq == 1 for no, payload, seq in rows)
    [(case_count,)] = store.db.execute("SELECT COUNT(*) FROM cases").fetchall()
    assert case_count == len(numbers) == store.outbox_counts()["pending"]
    assert store.integrity_problems() == []
    audit = store.verify_audit()
    assert audit.ok and audit.count == case_count + 1  # + the catalog import
    assert len(issued) > case_count, "no kill landed between reservation and commit"
    print(
        f"{len(issued)} numbers reserved, {case_count} cases committed, "
        f"{len(issued) - case_count} reserved by killed processes and skipped"
    )
