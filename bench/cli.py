"""Start-up of the admin's commands against a bare click app with the same command tree.

Both run in fresh processes, in turns: `clerk --help`, and `clerk sync status` on an
initialised data directory (it reads the config and the store, as the admin's command does).
The bare app is built from a JSON description of the real tree (every group, command,
option and argument, with their help), so it parses the same arguments and prints help of
the same size; its `sync status` prints one line. What is left between the two is our own
start-up: imports, the config, opening the store.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import click

from bench.report import Row, alternate, check, instructions, show

REPEATS = 15

# The bare app: the command tree from a JSON file, no-op callbacks.
BARE = """
import json, sys
import click

def build(spec):
    params = [
        click.Argument(p["decls"], required=p["required"], nargs=p["nargs"])
        if p["argument"]
        else click.Option(p["decls"], is_flag=p["flag"], multiple=p["multiple"], help=p["help"])
        for p in spec["params"]
    ]
    if spec["commands"] is None:
        return click.Command(spec["name"], params=params, help=spec["help"],
                             callback=lambda **kw: click.echo("ok"))
    group = click.Group(spec["name"], params=params, help=spec["help"],
                        invoke_without_command=True, callback=lambda **kw: None)
    for sub in spec["commands"]:
        group.add_command(build(sub))
    return group

build(json.load(open(sys.argv[1])))(sys.argv[2:])
"""


def describe(command: click.Command) -> dict[str, Any]:
    """The tree under `command` as plain data the bare app can rebuild."""
    params = [
        {
            "decls": [p.name, *p.opts] if isinstance(p, click.Option) else list(p.opts),
            "argument": isinstance(p, click.Argument),
            "flag": bool(getattr(p, "is_flag", False)),
            "multiple": p.multiple,
            "required": p.required,
            "nargs": p.nargs,
            "help": getattr(p, "help", None),
        }
        for p in command.params
        if p.name != "help"
    ]
    commands = None
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        commands = []
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            check(sub is not None, f"command {name} listed but not found")
            commands.append(describe(sub))  # type: ignore[arg-type]
    return {"name": command.name, "help": command.help, "params": params, "commands": commands}


def _run(argv: list[str], expect: str, given: str = "") -> float:
    """Wall time of one fresh process; fails loudly on a non-zero exit or a wrong answer."""
    began = time.perf_counter()
    done = subprocess.run(
        argv, input=given, capture_output=True, text=True, timeout=120, check=False
    )
    took = (time.perf_counter() - began) * 1000
    check(
        done.returncode == 0 and expect in done.stdout,
        f"{' '.join(argv[-3:])} exited {done.returncode}: {done.stderr.strip()[-300:]}",
    )
    return took


def main(repeats: int = REPEATS) -> None:
    from clerk.cli import main as clerk_main
    from tests.conftest import INIT

    ctx = click.Context(clerk_main)
    for name in clerk_main.list_commands(ctx):  # the whole tree, lazy or not
        clerk_main.get_command(ctx, name)
    clerk = str(Path(sys.executable).with_name("clerk"))
    python = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        spec, bare, home = Path(tmp) / "tree.json", Path(tmp) / "bare.py", Path(tmp) / "home"
        spec.write_text(json.dumps(describe(clerk_main), ensure_ascii=False))
        bare.write_text(BARE)
        _run([clerk, "--home", str(home), *INIT], "已初始化", "0000\n")  # its own logs
        rows = []
        for args, expect, ref_expect, summary in (
            (["--help"], "sync", "sync", "`clerk --help`"),
            (["--home", str(home), "sync", "status"], "待上报", "ok", "`clerk sync status`"),
        ):
            ours, theirs = alternate(
                lambda a=args, e=expect: _run([clerk, *a], e),  # type: ignore[misc]
                lambda a=args, e=ref_expect: _run([python, str(bare), str(spec), *a], e),  # type: ignore[misc]
                repeats,
            )
            rows.append(
                Row(
                    summary.strip("`"),
                    "ms",
                    ours,
                    theirs,
                    "bare click app, same command tree",
                    "aim ≤ 1.5x",
                    summary=summary,
                )
            )
            counted = instructions([clerk, *args], expect)
            if counted is not None:
                bare_counted = instructions([python, str(bare), str(spec), *args], ref_expect)
                what = f"{summary.strip('`')}: instructions (callgrind, one run each)"
                rows.append(
                    Row(what, "M", [counted], [bare_counted or 0.0], "bare click app", "aim ≤ 1.5x")
                )
        python_only = [_run([python, "-c", "print('ok')"], "ok") for _ in range(repeats)]
        rows.append(Row("python -c pass (the interpreter alone)", "ms", python_only))
    show(f"Command line start-up, fresh processes, {repeats} runs each in turns", rows)


if __name__ == "__main__":
    main()
