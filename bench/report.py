"""What every benchmark shares: figure and reference measured in turns, repeated, printed as
min / median / max with the ratio of the medians, and a loud failure when a run goes wrong.

A figure means something only beside a reference measured in the same minutes on the same
machine: the 2-core development box's disk and CPU drift by tens of percent between runs, so
`alternate` runs the two in turns (figure, reference, reference, figure, ...) and every row
keeps all its repeats. A benchmark whose worker dies or whose answer is wrong raises
`BenchFailure`; `python -m bench` prints the reason and exits non-zero, never a figure.
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

OUT = Path(__file__).parent / "out"


class BenchFailure(Exception):
    """A benchmark that could not give a true figure (a worker died, an answer was wrong)."""


def check(condition: object, reason: str) -> None:
    """Fail the benchmark loudly, with `reason`, unless `condition` holds."""
    if not condition:
        raise BenchFailure(reason)


@dataclass
class Row:
    """One measure: its repeats, its reference's repeats (same run), and the aim."""

    what: str
    unit: str
    figure: list[float]
    reference: list[float] | None = None
    reference_what: str = ""
    aim: str = ""
    summary: str = ""  # the row of the table this stands for ("" = detail only)
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if not self.reference or median(self.reference) == 0:
            return None
        return median(self.figure) / median(self.reference)


@dataclass
class Section:
    title: str
    rows: list[Row] = field(default_factory=list)


RESULTS: list[Section] = []


PACKAGES = ("clerk", "offline", "devices", "widgets")


def as_installed() -> None:
    """Compile the project's modules to bytecode, as installing the package does. A
    development environment may run with PYTHONDONTWRITEBYTECODE: every fresh process would
    then compile our sources again (not the libraries', installed with theirs), a cost no
    installed desk pays and a bias against every start-up figure."""
    import compileall

    root = Path(__file__).parent.parent
    for package in PACKAGES:
        compileall.compile_dir(root / package, quiet=1)


def instructions(argv: list[str], expect: str) -> float | None:
    """Millions of instructions `argv` executes, counted by valgrind's callgrind: a figure
    the machine's load does not move (wall times on the shared machine drift by tens of
    percent). None where valgrind is not installed."""
    if not shutil.which("valgrind"):
        return None
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/out", *argv],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    found = re.search(r"Collected : (\d+)", done.stderr)
    check(
        done.returncode == 0 and expect in done.stdout and found,
        f"callgrind of {' '.join(argv[-3:])}: exit {done.returncode}, {done.stderr[-300:]}",
    )
    assert found is not None
    return int(found[1]) / 1e6


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def alternate(
    figure: Callable[[], float], reference: Callable[[], float], repeats: int
) -> tuple[list[float], list[float]]:
    """Run the two in turns, `repeats` times each, in ABBA order so neither always goes
    first (a warm cache or a busy neighbour then favours neither)."""
    ours: list[float] = []
    theirs: list[float] = []
    for n in range(repeats):
        if n % 2 == 0:
            ours.append(figure())
            theirs.append(reference())
        else:
            theirs.append(reference())
            ours.append(figure())
    return ours, theirs


def spread(samples: list[float] | None, unit: str) -> str:
    if not samples:
        return ""
    if len(samples) == 1:
        return f"{_num(samples[0])} {unit}"
    low, mid, high = min(samples), median(samples), max(samples)
    return f"{_num(low)} / {_num(mid)} / {_num(high)} {unit}"


def _ratio(ratio: float | None) -> str:
    if ratio is None:
        return ""
    return f"{ratio:.3f}x" if ratio < 0.1 else f"{ratio:.2f}x"


def _num(value: float) -> str:
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def show(title: str, rows: list[Row]) -> None:
    """Print a section (min / median / max of the repeats) and keep it for the summary."""
    RESULTS.append(Section(title, rows))
    print(f"\n## {title}\n", flush=True)
    print("measure | figure min / median / max | reference min / median / max | ratio | aim")
    for r in rows:
        ratio = _ratio(r.ratio)
        reference = spread(r.reference, r.unit)
        if r.reference_what:
            reference = f"{reference} ({r.reference_what})" if reference else r.reference_what
        print(f"{r.what} | {spread(r.figure, r.unit)} | {reference} | {ratio} | {r.aim}")
        if r.note:
            print(f"    {r.note}")
    print(flush=True)


def summary() -> None:
    """The issue's table: each headline figure beside its reference, from this run."""
    rows = [r for s in RESULTS for r in s.rows if r.summary]
    if not rows:
        return
    print("\n## Summary (medians of this run)\n")
    print("| figure | now | reference, same run | ratio | aim |")
    print("| --- | --- | --- | --- | --- |")
    for r in rows:
        ratio = _ratio(r.ratio) or "—"
        ref = f"{_num(median(r.reference))} {r.unit}" if r.reference else ""
        ref = f"{ref} ({r.reference_what})" if ref else r.reference_what
        print(f"| {r.summary} | {_num(median(r.figure))} {r.unit} | {ref} | {ratio} | {r.aim} |")
    OUT.mkdir(exist_ok=True)
    (OUT / "last.json").write_text(
        json.dumps([asdict(s) for s in RESULTS], ensure_ascii=False, indent=1)
    )
