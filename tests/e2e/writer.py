"""A window that accepts cases as fast as it can until it is killed.

Every case number is appended to a log the moment it is reserved, before the case that takes it
commits, so the test can see numbers whose case died with the process. A short pause after each
reservation makes most kills land in that window."""

from __future__ import annotations

import os
import random
import sys
import time

import offline.store
from offline.store import Store
from tests.conftest import pension


def main(db_path: str, issued_log: str) -> None:
    reserve = offline.store.issue_local_no
    log = os.open(issued_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def logged(*args, **kwargs):
        number = reserve(*args, **kwargs)
        os.write(log, f"{number}\n".encode())
        time.sleep(random.uniform(0.002, 0.01))  # widen the window between issue and commit
        return number

    offline.store.issue_local_no = logged
    store = Store(db_path, centre_code="330212105", window_no=3)
    while True:
        store.accept(pension(), clerk_id="c0107")


if __name__ == "__main__":
    main(*sys.argv[1:])
