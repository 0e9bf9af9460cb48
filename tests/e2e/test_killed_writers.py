"""Writers killed with SIGKILL at random moments lose nothing committed and never reuse a
case number, even one whose case died between reservation and commit."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from offline.catalog import demo_catalog
from offline.models import CaseQuery
from offline.store import Store

ROOT = Path(__file__).resolve().parents[2]


def _start(db: Path, log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with open(log.with_suffix(".err"), "ab") as errors:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.e2e.writer", str(db), str(log)],
            cwd=ROOT,
            env=env,
            stderr=errors,
        )


def test_kill_nine_in_a_loop_of_writers(tmp_path):
    db, log = tmp_path / "clerk.db", tmp_path / "issued.txt"
    Store(db, centre_code="330212105", window_no=3).import_catalog(demo_catalog(), by="test")
    rng = random.Random(7)
    writers = [_start(db, log) for _ in range(3)]
    time.sleep(1.5)  # let them import and start writing
    for _ in range(12):
        time.sleep(rng.uniform(0.1, 0.4))
        victim = rng.randrange(len(writers))
        writers[victim].send_signal(signal.SIGKILL)
        writers[victim].wait()
        writers[victim] = _start(db, log)
    time.sleep(0.5)
    for writer in writers:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    errors = log.with_suffix(".err").read_text()
    assert all(w.returncode == -signal.SIGKILL for w in writers) and not errors, errors

    issued = log.read_text().split()
    store = Store(db, centre_code="330212105", window_no=3)
    cases = store.search_cases(CaseQuery(limit=1000))
    numbers = [c.local_no for c in cases]
    assert len(cases) > 20, "the writers should have committed cases"
    assert len(set(issued)) == len(issued), "a case number was issued twice"
    assert set(numbers) <= set(issued) and len(set(numbers)) == len(numbers)
    for case in cases:
        [op] = store.operations(case.case_id)
        assert op.payload["local_no"] == case.local_no
    assert store.outbox_counts()["pending"] == len(cases)
    assert store.integrity_problems() == []
    audit = store.verify_audit()
    assert audit.ok and audit.count == len(cases) + 1  # + the catalog import
    print(
        f"{len(issued)} numbers reserved, {len(cases)} cases committed, "
        f"{len(issued) - len(cases)} reserved by killed processes and skipped"
    )
