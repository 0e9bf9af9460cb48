"""Check a wheelhouse built for another architecture against this machine's: the same
distributions, and each compiled one a wheel for that architecture (`deploy/bundle.sh`).

    python deploy/wheelset.py HOST_WHEELHOUSE OTHER_WHEELHOUSE ARCH PYVER
"""

from __future__ import annotations

import sys
from pathlib import Path


def _wheels(folder: Path) -> dict[str, tuple[str, str]]:
    """Distribution name (normalised) → the wheel's (ABI, platform) tags."""
    found = {}
    for wheel in folder.glob("*.whl"):
        parts = wheel.stem.split("-")
        found[parts[0].lower().replace("_", "-")] = (parts[-2], parts[-1])
    return found


def main(host: Path, other: Path, arch: str, pyver: str) -> int:
    mine, theirs = _wheels(host), _wheels(other)
    problems = [f"missing: {name}" for name in sorted(mine.keys() - theirs.keys())]
    problems += [f"extra: {name}" for name in sorted(theirs.keys() - mine.keys())]
    abis = ("none", "abi3", f"cp{pyver.replace('.', '')}")
    problems += [
        f"{name}: {abi}-{tag} is not for {arch} and Python {pyver}"
        for name, (abi, tag) in sorted(theirs.items())
        if abi not in abis or (tag != "any" and not all(t.endswith(arch) for t in tag.split(".")))
    ]
    for problem in problems:
        print(f"wheelset: {problem}", file=sys.stderr)
    compiled = sum(tag != "any" for _, tag in theirs.values())
    if not problems:
        print(f"wheelset: {len(theirs)} wheels for {arch}, Python {pyver}, {compiled} compiled")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4]))
