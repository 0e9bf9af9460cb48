"""The desk shows its login screen without loading the desk screen, the hall client, the sync
engine or the printer driver; those load behind it, and nothing trips over a half-loaded one."""

from __future__ import annotations

import json
import subprocess
import sys
import types

from textual.screen import Screen

# What `clerk desk` has imported when the app is built and about to show its login screen.
_PROBE = """
import json, sys, click
from clerk.cli import main
main.get_command(click.Context(main), "desk")
from clerk.desk.app import DeskApp
from clerk.services import build
from clerk.window import Desk
print(json.dumps(sorted(sys.modules)))
"""
NOT_FOR_LOGIN = (
    "clerk.desk.desk_screen",
    "clerk.desk.intake",
    "clerk.hall.client",
    "offline.sync",
    "httpx",
    "escpos",
    "devices.printer.printer",
    "devices.scanner.pdf",
)


def test_the_login_screen_needs_none_of_the_desk_behind_it():
    done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout.splitlines()[-1]))
    assert not loaded & set(NOT_FOR_LOGIN), sorted(loaded & set(NOT_FOR_LOGIN))


def test_no_screen_is_the_desk_while_its_module_is_half_loaded(monkeypatch):
    from clerk.desk.app import _is_desk

    half = types.ModuleType("clerk.desk.desk_screen")  # warm_up mid-import: no class yet
    monkeypatch.setitem(sys.modules, "clerk.desk.desk_screen", half)
    assert _is_desk(Screen()) is False
    monkeypatch.delitem(sys.modules, "clerk.desk.desk_screen")
    assert _is_desk(Screen()) is False
    from clerk.desk.desk_screen import DeskScreen

    assert _is_desk(DeskScreen.__new__(DeskScreen)) is True
