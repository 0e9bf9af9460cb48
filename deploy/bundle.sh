#!/usr/bin/env bash
# `make bundle`: one archive for an offline window PC of this machine's architecture
# (build it on x86_64 for x86_64, on aarch64 for aarch64): a wheelhouse with window-clerk and
# every dependency, install.sh, the Debian package list, systemd units, udev rules, docs.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
version=$("$python" -c 'import tomllib; print(tomllib.load(open("pyproject.toml","rb"))["project"]["version"])')
arch=$(uname -m)
name="window-clerk-$version-$arch"
out=dist/$name
rm -rf "$out" && mkdir -p "$out/wheelhouse"
"$python" -m pip wheel --quiet --wheel-dir "$out/wheelhouse" .
cp deploy/install.sh deploy/debian-packages.txt "$out/"
cp -r deploy/systemd deploy/udev "$out/"
[ -f deploy/clerk-hall.service ] && cp deploy/clerk-hall.service "$out/systemd/"
[ -f deploy/clerk-hall-board.service ] && cp deploy/clerk-hall-board.service "$out/"  # a user unit
mkdir -p "$out/docs" && cp docs/install.md "$out/docs/"
tar -C dist -czf "dist/$name.tar.gz" "$name"
echo "dist/$name.tar.gz"
