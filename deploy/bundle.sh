#!/usr/bin/env bash
# `make bundle`: one archive for an offline window PC: a wheelhouse with window-clerk and
# every dependency, install.sh, the Debian package list, systemd units, udev rules, docs.
#   make bundle                  # this machine's architecture and Python version
#   make bundle ARCH=aarch64     # an ARM hall PC, built on any machine (see below)
#   make bundle PYVER=3.13       # the Python of the hall PC's Debian (12: 3.11, 13: 3.13)
# For another architecture or Python, window-clerk and the pure-Python dependencies are built
# here (a py3-none-any wheel is the same everywhere) and every compiled dependency is fetched
# as that architecture's binary wheel; the two wheel sets are then compared, name by name.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
version=$("$python" -c 'import tomllib; print(tomllib.load(open("pyproject.toml","rb"))["project"]["version"])')
here_py=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
arch=${ARCH:-$(uname -m)}
pyver=${PYVER:-$here_py}
name="window-clerk-$version-$arch"
[ "$pyver" = "$here_py" ] || name="$name-py$pyver"
out=dist/$name
rm -rf "$out" && mkdir -p "$out/wheelhouse"
if [ "$arch" = "$(uname -m)" ] && [ "$pyver" = "$here_py" ]; then
    "$python" -m pip wheel --quiet --wheel-dir "$out/wheelhouse" .
else
    built=$(mktemp -d)
    trap 'rm -rf "$built"' EXIT
    "$python" -m pip wheel --quiet --wheel-dir "$built/all" .
    mkdir "$built/any" && cp "$built"/all/*-none-any.whl "$built/any/"
    platforms=()
    for glibc in 17 26 27 28 31 34 35 36; do  # Debian 12 has glibc 2.36
        platforms+=(--platform "manylinux_2_${glibc}_$arch")
    done
    "$python" -m pip download --quiet --only-binary=:all: "${platforms[@]}" \
        --platform "manylinux2014_$arch" --python-version "$pyver" --implementation cp \
        --abi "cp${pyver/./}" --abi abi3 --abi none --find-links "$built/any" \
        --dest "$out/wheelhouse" "$built"/any/window_clerk-*.whl
    "$python" deploy/wheelset.py "$built/all" "$out/wheelhouse" "$arch" "$pyver"
fi
echo "$arch $pyver" > "$out/built-for"
cp deploy/install.sh deploy/debian-packages.txt "$out/"
cp -r deploy/systemd deploy/udev "$out/"
[ -f deploy/clerk-hall.service ] && cp deploy/clerk-hall.service "$out/systemd/"
[ -f deploy/clerk-hall-board.service ] && cp deploy/clerk-hall-board.service "$out/"  # a user unit
mkdir -p "$out/docs" && cp docs/install.md "$out/docs/"
tar -C dist -czf "dist/$name.tar.gz" "$name"
echo "dist/$name.tar.gz"
