"""`python -m bench [--cases N]`: run every benchmark and print its table."""

from __future__ import annotations

import argparse

from bench import commit, devices, hall, search, sync


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument(
        "--cases",
        type=int,
        default=1_000_000,
        help="cases in the search benchmark's store (default 1 000 000)",
    )
    args = parser.parse_args()
    commit.main()
    devices.main()
    hall.main()
    search.main(args.cases)
    sync.main(args.sync_ops, args.sync_attachments)


if __name__ == "__main__":
    main()
