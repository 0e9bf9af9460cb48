"""`python -m bench [--only NAME ...] [--cases N] [--sync-ops N] [--sync-attachments N]
[--desk-cases N]`: every benchmark, each printing its figures beside references measured in
the same run, then the summary table. A benchmark that cannot give a true figure (a worker
died, an answer was wrong) is reported with its reason, and the exit status is 1."""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections.abc import Callable

from bench import cli, commit, desk, devices, hall, lockhold, search, sync
from bench.report import BenchFailure, as_installed, summary


def _machine() -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{os.cpu_count()} CPUs, load average {load} at {time.strftime('%Y-%m-%d %H:%M %Z')}"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--only", nargs="*", help="run only these benchmarks (by name)")
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases for search")
    parser.add_argument("--sync-ops", type=int, default=10_000, help="operations drained")
    parser.add_argument("--sync-attachments", type=int, default=2_000, help="of which 200 KB")
    parser.add_argument("--desk-cases", type=int, default=100_000, help="cases for memory")
    args = parser.parse_args()
    benches: dict[str, Callable[[], None]] = {
        "cli": cli.main,
        "desk": lambda: desk.main(args.desk_cases),
        "sync": lambda: sync.main(args.sync_ops, args.sync_attachments),
        "search": lambda: search.main(args.cases),
        "lockhold": lambda: lockhold.main(args.cases),
        "hall": hall.main,
        "commit": commit.main,
        "devices": devices.main,
    }
    unknown = set(args.only or []) - set(benches)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    print(f"# Benchmarks: {_machine()}", flush=True)
    as_installed()  # start-ups with bytecode, as an installed package has it
    failed = []
    for name, run in benches.items():
        if args.only and name not in args.only:
            continue
        try:
            run()
        except BenchFailure as failure:
            failed.append(f"{name}: {failure}")
            print(f"\nFAILED {name}: {failure}", file=sys.stderr, flush=True)
        except Exception:
            failed.append(f"{name}: {traceback.format_exc(limit=3)}")
            print(f"\nFAILED {name} with an error:", file=sys.stderr, flush=True)
            traceback.print_exc()
    summary()
    print(f"\nafter the run: {_machine()}")
    if failed:
        print("\nbenchmarks that gave no true figure:\n  " + "\n  ".join(failed), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
