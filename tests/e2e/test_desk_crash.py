"""The desk killed (SIGKILL) in the middle of the next intake: what was accepted before is
all there, with its operation for the platform, its audit entry and its printed receipt."""

from __future__ import annotations

import fcntl
import os
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

from offline.models import CaseQuery
from offline.store import Store

ROOT = Path(__file__).resolve().parents[2]
F1, CTRL_B, CTRL_S, DOWN = "\x1bOP", "\x02", "\x13", "\x1b[B"


class Terminal:
    """A program on a pty of 120x40, typed at like a person would."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        self.master = master
        self.process = subprocess.Popen(
            args, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
        )
        os.close(slave)
        self.screen = bytearray()
        self.mark = 0
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            self.screen += data

    def type(self, *keys: str, pause: float = 0.3) -> None:
        self.mark = len(self.screen)
        for key in keys:
            os.write(self.master, key.encode())
            time.sleep(pause)

    def shows(self, text: str, timeout: float = 60.0) -> None:
        """Wait until the program has drawn `text` since the last keys were typed: the next
        keys go to the screen they are meant for, however slow a loaded machine makes it."""
        wait_for(lambda: text.encode() in self.screen[self.mark :], timeout)

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


def wait_for(check, timeout: float = 20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if result := check():
            return result
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_desk_killed_mid_intake_loses_nothing_accepted(tmp_path: Path) -> None:
    home = tmp_path / "demo"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm-256color", "CLERK_HOME": ""}
    term = Terminal([sys.executable, "-m", "clerk", "demo", "--keep", str(home)], env)
    try:
        term.shows("窗口登录")
        term.type(*"c0107", "\r", *"1234", "\r", pause=0.2)
        term.shows("当班")
        term.type(F1, pause=0.3)  # call a ticket
        term.shows("已呼叫")
        term.type(CTRL_B, pause=0.3)  # the citizen's card on the reader
        term.shows("330212198001011238")
        term.type(*"GG-0012", pause=0.1)
        term.shows("城乡居民基本养老保险参保登记")  # the item found
        term.type("\r", pause=0.3)  # the item; the form's first field has focus
        term.shows("缴费档次")
        term.type("\r", pause=0.3)
        term.shows("3000元")  # its choices open
        term.type(DOWN, "\r", "\t", pause=0.4)  # 缴费档次: the first choice
        term.type(*"6228480012345678901", pause=0.05)
        term.shows("6228480012345678901")
        term.type("\t", "\t", "\r", DOWN, "\r", pause=0.4)  # the ID card copy: 已收取
        term.type("\t", "\t", "\t", "\r", DOWN, "\r", pause=0.4)  # the 户口簿: 已收取
        term.type(CTRL_S, pause=1.0)

        store = Store(home / "clerk.db", centre_code="330212105", window_no=3)

        def accepted_now() -> list:
            cases = store.search_cases(CaseQuery(text="张三", limit=10))
            return [c for c in cases if c.payload.form.get("contribution_grade") == "200元"]

        mine = wait_for(accepted_now, 60)  # the sample cases were accepted at 500元
        assert len(mine) == 1
        term.type("\r", "\x1b", pause=0.5)  # close the result; the citizen leaves unrated
        term.type(CTRL_B, *"ylb", pause=0.3)  # the next intake is half typed...
        term.kill()  # ...when the power goes
    finally:
        if term.process.poll() is None:
            term.kill()
    case = store.case(mine[0].case_id)
    assert case is not None and case.status in ("accepted", "in_review")  # sync may have run
    assert [op.type for op in store.operations(case.case_id)][:1] == ["case.accept"]
    assert store.integrity_problems() == []
    assert store.verify_audit().ok
    printed = list((home / "printer-simulator").glob("*.txt"))
    assert any(case.local_no in p.read_text("utf-8") for p in printed)
    store.close()
