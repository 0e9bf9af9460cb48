"""`python -m bench [--cases N] [--sync-ops N] [--sync-attachments N] [--desk-cases N]`:
every benchmark, each printing its figures beside the references they are compared with."""

from __future__ import annotations

import argparse

from bench import commit, desk, devices, hall, lockhold, search, sync


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument(
        "--cases",
        type=int,
        default=1_000_000,
        help="cases in the search benchmark's store (default 1 000 000)",
    )
    parser.add_argument(
        "--sync-ops",
        type=int,
        default=10_000,
        help="operations drained in the sync benchmark (default 10 000)",
    )
    parser.add_argument(
        "--sync-attachments",
        type=int,
        default=2_000,
        help="of which carry a 200 KB attachment (default 2 000)",
    )
    parser.add_argument(
        "--desk-cases",
        type=int,
        default=100_000,
        help="cases in the store when the desk's memory is measured (default 100 000)",
    )
    args = parser.parse_args()
    commit.main()
    devices.main()
    hall.main()
    search.main(args.cases)
    lockhold.main(args.cases)
    sync.main(args.sync_ops, args.sync_attachments)
    desk.main(args.desk_cases)


if __name__ == "__main__":
    main()
