"""Desk figures: start-up to the first frame against a bare Textual app, keys typed while the
desk warms up, keystroke to updated screen for F1 and for the item search, and memory with
100 000 cases in the store.

Each app runs in a fresh process, headless, so imports count as they do for the clerk; desk
and bare app start in turns. At its first frame each child lists the modules it has
imported: those the desk has beyond the bare app, and among them those the login screen
does not need, are printed with the figure. Key latencies are compared p95 with p95.
`python -m bench.desk child KIND HOME` is the child: it prints one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.report import Row, alternate, check, instructions, percentile, show

RUNS = 7


def _prepare(home: Path, cases: int = 0) -> None:
    from bench.search import fill
    from clerk import config
    from clerk import demo as demo_data
    from clerk.cli.setup import setup_home
    from clerk.services import build

    setup_home(home, **demo_data.CENTRE, window_no=3, window_kind="general")
    settings = config.load(home)
    settings.window.clerk = "c0107"
    demo_data.simulate_devices(settings, home)
    settings.voice.engine = "none"
    config.save(home, settings)
    if cases:
        fill(home / config.DB_FILE, cases)
    svc = build(home)
    demo_data.prepare(svc.store, by="bench")
    svc.close()


def _desk(home: Path, *, process: bool = True):
    """The desk as `clerk desk` builds it: the CLI, the desk command's module, the config,
    the services, then the app (and its log files, when it has the process to itself)."""
    import click

    from clerk.cli import main

    main.get_command(click.Context(main), "desk")
    from clerk import config, logs

    settings = config.load(home)
    if process:
        logs.setup(home, settings.log.level, settings.log.max_bytes, settings.log.backups)
    from clerk.desk.app import DeskApp
    from clerk.services import build
    from clerk.window import Desk

    return DeskApp(Desk(build(home, settings)))


def _bare():
    from textual.app import App
    from textual.widgets import Input, Label

    class Bare(App[None]):
        def compose(self):
            yield Label("便民服务中心窗口")
            yield Input(id="clerk-id")

        def on_mount(self) -> None:
            self.query_one(Input).focus()

    return Bare()


def child(kind: str, home: Path, started: float) -> None:
    """Run one app headless; report when its first frame is up, what it had imported by
    then, and how long keys typed into the focused input take in the next two seconds
    (while the desk warms up in the background)."""
    app = _bare() if kind == "bare" else _desk(home)
    report: dict = {}

    def ready() -> None:
        report["first_frame"] = time.time() - started
        report["modules"] = sorted(sys.modules)
        app.run_worker(typing(), exit_on_error=False)

    async def typing() -> None:
        from textual.widgets import Input

        field = app.screen.query_one("#clerk-id", Input)
        keys = []
        for _ in range(40):
            keys.append(await _until_changed(app, "1", lambda: field.value))
            await asyncio.sleep(0.05)
        report["keys"] = keys
        print(json.dumps(report), flush=True)
        app.exit()

    app.call_later(lambda: app.call_after_refresh(ready))
    app.run(headless=True)


def child_first_frame(kind: str, home: Path) -> None:
    """Start one app headless and leave the process at its first frame: what it executed
    up to then is what callgrind counts."""
    app = _bare() if kind == "bare" else _desk(home)

    def ready() -> None:
        print("first_frame", flush=True)
        os._exit(0)  # nothing after the first frame is counted

    app.call_later(lambda: app.call_after_refresh(ready))
    app.run(headless=True)


def child_memory(kind: str, home: Path) -> None:
    """RSS after logging in and listing the window's cases (the desk), or after start (bare)."""
    app = _bare() if kind == "bare" else _desk(home)

    async def run() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            if kind != "bare":
                await pilot.press(*"c0107", "enter", *"1234", "enter")
                await _idle(pilot)
                await pilot.press("ctrl+f")
                await _idle(pilot)
                await asyncio.sleep(1)
                await _idle(pilot)
            print(json.dumps({"rss_mb": _peak_rss_mb()}), flush=True)

    asyncio.run(run())


def _peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM; `ru_maxrss` would carry the parent's over exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


async def _idle(pilot) -> None:
    await pilot.pause()
    while any(w.is_running and w.group not in ("cards",) for w in pilot.app.workers):
        await asyncio.sleep(0.005)
    await pilot.pause()


def _spawn(*args: str) -> dict:
    started = time.time()
    out = subprocess.run(
        [sys.executable, "-m", "bench.desk", *args, str(started)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    lines = out.stdout.strip().splitlines()
    check(out.returncode == 0 and lines, f"desk child {args[:2]} failed: {out.stderr[-500:]}")
    return json.loads(lines[-1])


# Imported before the first frame but not needed to show the login screen.
NOT_FOR_LOGIN = (
    "escpos", "img2pdf", "pypinyin", "jsonschema", "qrcode", "PIL", "httpx", "offline.sync",
    "clerk.hall", "devices.printer.printer", "devices.printer.transport", "devices.scanner",
    "clerk.desk.intake", "clerk.desk.cases", "clerk.desk.desk_screen",
)  # fmt: skip


def startup(home: Path, repeats: int) -> list[Row]:
    runs: dict[str, list[dict]] = {"desk": [], "bare": []}
    alternate(
        lambda: _record(runs["desk"], _spawn("child", "desk", str(home))),
        lambda: _record(runs["bare"], _spawn("child", "bare", str(home))),
        repeats,
    )
    desk, bare = runs["desk"], runs["bare"]
    extra = set(desk[0]["modules"]) - set(bare[0]["modules"])
    groups = sorted({p for p in NOT_FOR_LOGIN for m in extra if m == p or m.startswith(p + ".")})
    heavy = [m for m in extra if any(m == p or m.startswith(p + ".") for p in groups)]
    counted = {
        k: instructions([sys.executable, "-m", "bench.desk", "first", k, str(home)], "first_frame")
        for k in ("desk", "bare")
    }
    rows = []
    if counted["desk"] is not None:
        rows.append(
            Row(
                "start-up to first frame: instructions (callgrind, one run each)",
                "M",
                [counted["desk"]],
                [counted["bare"] or 0.0],
                "bare Textual app",
                "aim ≤ 1.5x",
            )
        )
    return [
        *rows,
        Row("start-up to first frame", "ms", [r["first_frame"] * 1000 for r in desk],
            [r["first_frame"] * 1000 for r in bare], "bare Textual app, same run", "aim ≤ 1.5x",
            summary="desk start-up to first frame",
            note=f"{len(extra)} modules more than the bare app at its first frame; "
            f"{len(heavy)} of them not needed for the login screen"
            + (f": {', '.join(groups[:12])}" if groups else "")),
        Row("key into the login input, 2 s after the first frame, p95", "ms",
            [percentile(r["keys"], 95) for r in desk], [percentile(r["keys"], 95) for r in bare],
            "the same in the bare app", "aim < 50 ms",
            note="the warm-up imports run in these two seconds"),
    ]  # fmt: skip


def _record(runs: list[dict], result: dict) -> float:
    runs.append(result)
    return result["first_frame"]


async def keystrokes(home: Path, n: int = 40) -> list[Row]:
    """Key posted to the widget showing its result, in process, against a key typed into a
    bare app's input. The terminal repaint follows within one frame (Textual: 60 per s)."""
    from textual.widgets import Input, OptionList

    from clerk.desk.intake import IntakePanel
    from widgets.queue_panel import QueuePanel

    app = _desk(home, process=False)
    hall = app.desk.services.hall()
    for _ in range(n + 1):
        hall.issue("general")
    calls, searches = [], []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*"c0107", "enter", *"1234", "enter")
        await _idle(pilot)
        number = pilot.app.screen.query_one(QueuePanel).query_one("#q-number")
        for _ in range(n):
            calls.append(await _until_changed(app, "f1", lambda: str(number.render())))
            await _idle(pilot)
        panel = pilot.app.screen.query_one(IntakePanel)
        search, results = panel.query_one("#item-search", Input), panel.query_one(OptionList)
        for word in ["y", "s", "h", "j", "m"] * (n // 5):
            search.value = ""
            search.focus()
            await _idle(pilot)
            results.clear_options()
            searches.append(await _until_changed(app, word, lambda: results.option_count))
    bare, keys = _bare_input(), []
    async with bare.run_test() as pilot:
        field = bare.query_one(Input)
        field.focus()
        await pilot.pause()
        for _ in range(n):
            keys.append(await _until_changed(bare, "x", lambda: field.value))
    same = "bare app: key into an input, p95"
    reference = [percentile(keys, 95)]
    return [
        Row("F1 call: key to new number, p95", "ms", [percentile(calls, 95)], reference, same,
            "aim < 50 ms", note=f"p50 {percentile(calls, 50):.1f} ms"),
        Row("item search: key to results, p95", "ms", [percentile(searches, 95)], reference,
            same, "aim < 50 ms", note=f"p50 {percentile(searches, 50):.1f} ms"),
    ]  # fmt: skip


async def _until_changed(app, key: str, watch) -> float:
    before = watch()
    began = time.perf_counter()
    app.simulate_key(key)
    while watch() == before:
        await asyncio.sleep(0.0002)
    return (time.perf_counter() - began) * 1000


def _bare_input():
    from textual.app import App
    from textual.widgets import Input

    class BareInput(App[None]):
        def compose(self):
            yield Input()

    return BareInput()


def memory(big: Path, small: Path, cases: int) -> list[Row]:
    desk = _spawn("memory", "desk", str(big))["rss_mb"]
    bare = _spawn("memory", "bare", str(small))["rss_mb"]
    return [
        Row(f"RSS, {cases:,} cases, cases listed", "MB", [desk], [bare], "bare Textual app",
            "aim < 150 MB")
    ]  # fmt: skip


def main(cases: int = 100_000, repeats: int = RUNS) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        small, big = Path(tmp) / "small", Path(tmp) / "big"
        _prepare(small)
        _prepare(big, cases)
        rows = startup(small, repeats)
        rows += asyncio.run(keystrokes(small))
        rows += memory(big, small, cases)
    show(f"Desk (start-up: {repeats} fresh processes each, in turns)", rows)


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        child(sys.argv[2], Path(sys.argv[3]), float(sys.argv[4]))
    elif sys.argv[1:2] == ["first"]:
        child_first_frame(sys.argv[2], Path(sys.argv[3]))
    elif sys.argv[1:2] == ["memory"]:
        child_memory(sys.argv[2], Path(sys.argv[3]))
    else:
        main()
