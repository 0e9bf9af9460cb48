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
    for _ in range(16):
        time.sleep(rng.uniform(0.3, 0.6))  # a restarted writer needs ~0.3 s to start writing
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
