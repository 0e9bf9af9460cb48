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


# The desk, started headless on HOME, reports which watched modules were first imported on
# the UI thread, once the hall follower runs (everything `start_background` starts has begun).
_UI_THREAD_PROBE = """
import builtins, json, sys, threading
from pathlib import Path
from clerk.desk.app import DeskApp
from clerk.services import build
from clerk.window import Desk

WATCH = {"httpx", "clerk.hall.client", "clerk.hall.follower"}
on_ui = set()
real_import = builtins.__import__

def watching(name, *args, **kwargs):
    if name in WATCH and name not in sys.modules:
        if threading.current_thread() is threading.main_thread():
            on_ui.add(name)
    return real_import(name, *args, **kwargs)

builtins.__import__ = watching
app = DeskApp(Desk(build(Path(sys.argv[1]))))

def follower_running():
    if app.hall_follower is not None:
        print(json.dumps({"on_ui": sorted(on_ui), "loaded": sorted(WATCH & set(sys.modules))}))
        app.exit()

app.call_later(lambda: app.set_interval(0.05, follower_running))
app.run(headless=True)
"""


def test_the_hall_client_loads_off_the_ui_thread_after_the_first_frame(tmp_path):
    from tests.conftest import INIT, cli

    home = tmp_path / "home"
    cli(home, *INIT)
    done = subprocess.run(
        [sys.executable, "-c", _UI_THREAD_PROBE, str(home)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["loaded"] == ["clerk.hall.client", "clerk.hall.follower", "httpx"]
    assert seen["on_ui"] == []
