"""One table for every benchmark: figure, reference, ratio, and the aim."""

from __future__ import annotations

import statistics
from dataclasses import dataclass


@dataclass
class Row:
    what: str
    figure: float
    unit: str
    reference: float | None = None
    reference_what: str = ""
    aim: str = ""


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def show(title: str, rows: list[Row]) -> None:
    print(f"\n## {title}\n")
    print(f"{'measure':<46} {'figure':>12}   {'reference':>12}  {'ratio':>6}  aim / reference")
    for r in rows:
        ref = f"{r.reference:>10.3f} {r.unit}" if r.reference is not None else " " * 13
        ratio = f"{r.figure / r.reference:>5.2f}x" if r.reference else " " * 6
        note = "; ".join(x for x in (r.aim, r.reference_what) if x)
        print(f"{r.what:<46} {r.figure:>10.3f} {r.unit}   {ref}  {ratio}  {note}")
