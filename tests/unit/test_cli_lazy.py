"""The CLI loads a subcommand's module only when that command runs, so `clerk --help` and
`clerk sync status` start quickly; the list in `clerk.cli.COMMANDS` stays true to the code."""

from __future__ import annotations

import json
import subprocess
import sys

import click

from clerk.cli import COMMANDS, load_all, main
from tests.conftest import INIT, cli

# Run `clerk ARGS` in a fresh interpreter and print the modules it imported, as JSON.
_PROBE = """
import json, sys
from clerk.cli import main
try:
    main(sys.argv[1:])
except SystemExit as done:
    code = done.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _imported(*args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, check=True
    )
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["code"] in (0, None), done.stderr
    return set(result["modules"])


def _heavy(modules: set[str], *prefixes: str) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in prefixes or m in prefixes)


def test_every_listed_command_loads_with_its_own_help():
    commands = {command.name: command for command in load_all()}
    assert set(commands) == set(COMMANDS)
    for name, (_, short_help) in COMMANDS.items():
        assert commands[name].get_short_help_str(1000) == short_help, name


def test_help_lists_every_command_without_loading_one():
    modules = _imported("--help")
    assert not [
        m
        for m in modules
        if m.startswith("clerk.cli.") and m not in ("clerk.cli.base", "clerk.cli.i18n")
    ]
    assert not _heavy(modules, "pydantic", "pydantic_settings", "httpx", "sqlite_utils", "devices")


def test_help_text_is_the_same_lazy_or_loaded():
    ctx = click.Context(main, info_name="clerk")
    lazy = main.get_help(ctx)
    load_all()
    assert main.get_help(ctx) == lazy
    for name in COMMANDS:
        assert f"  {name} " in lazy


def test_sync_status_loads_no_engine_hall_or_drivers(tmp_path):
    home = tmp_path / "home"
    cli(home, *INIT)
    modules = _imported("--home", str(home), "sync", "status")
    assert "offline.sync" not in modules
    assert not _heavy(modules, "httpx", "textual", "escpos", "serial")
    assert not [m for m in modules if m.startswith(("clerk.hall", "devices.", "clerk.cli.hall"))]


def test_sync_status_with_unchanged_settings_loads_no_models(tmp_path):
    """The cheap path: the validated settings kept beside the file, the store read with the
    standard library; pydantic, sqlite-utils and the store's models stay unloaded."""
    home = tmp_path / "home"
    cli(home, *INIT)
    _imported("--home", str(home), "sync", "status")  # validates the settings once
    modules = _imported("--home", str(home), "sync", "status")
    assert not _heavy(modules, "pydantic", "pydantic_settings", "sqlite_utils", "lunar_python")
    assert not [m for m in modules if m.startswith(("offline.models", "offline.store"))]
    # nor what a command loads only when it logs a line or shows a progress bar
    assert not {"logging.handlers", "click._termui_impl", "tomllib"} & modules


def test_sync_status_migrates_a_store_that_is_not_current(tmp_path):
    from offline.db import connect
    from offline.migrations import migrations
    from offline.sync_status import LATEST_MIGRATION

    assert migrations._migrations[-1].name == LATEST_MIGRATION
    home = tmp_path / "home"
    cli(home, *INIT)
    conn = connect(home / "clerk.db")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = ?", [LATEST_MIGRATION])
    conn.execute("DROP INDEX cases_accepted_name")
    conn.close()
    assert "待上报 0" in cli(home, "sync", "status")
    conn = connect(home / "clerk.db")
    names = [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations")]
    index = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'cases_accepted_name'")
    assert names[-1] == LATEST_MIGRATION and index.fetchone()
    conn.close()


def test_unknown_command_is_still_a_usage_error(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "clerk", "no-such"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1  # usage errors are errors: the one exit code table
    assert "没有此命令：no-such" in done.stderr
