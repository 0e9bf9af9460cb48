#!/usr/bin/env bash
# Install window-clerk from this bundle, offline: no package index is contacted.
#   sudo ./install.sh                      # /opt/window-clerk, service user clerk, udev, units
#   ./install.sh --prefix DIR --no-system  # only the program, into DIR (no root needed)
# See docs/install.md.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
prefix=/opt/window-clerk
system=1
user=clerk
data=/var/lib/window-clerk
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix="$2"; shift 2 ;;
        --no-system) system=0; shift ;;
        --user) user="$2"; shift 2 ;;
        *) echo "未知参数：$1" >&2; exit 2 ;;
    esac
done

missing=()
while read -r pkg; do
    case "$pkg" in ''|'#'*) continue ;; esac
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done < "$here/debian-packages.txt"
if [ ${#missing[@]} -gt 0 ]; then
    echo "缺少以下 Debian 软件包：${missing[*]}" >&2
    echo "请先安装：sudo apt-get install ${missing[*]}（离线时用本地软件源或 .deb 文件）" >&2
    [ "$system" -eq 1 ] && exit 1
fi

python3 -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null \
    || { echo "需要 Python 3.11 或更新版本" >&2; exit 1; }
# the wheels are for one architecture and one Python version: say so rather than fail in pip
read -r want_arch want_py < "$here/built-for"
have_py=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
[ "$want_arch" = "$(uname -m)" ] || {
    echo "本安装包适用于 $want_arch，本机是 $(uname -m)：请用 make bundle ARCH=$(uname -m) 构建" >&2
    exit 1
}
[ "$want_py" = "$have_py" ] || {
    echo "本安装包适用于 Python $want_py，本机是 Python $have_py：请用 make bundle PYVER=$have_py 构建" >&2
    exit 1
}
mkdir -p "$prefix"
# only this bundle's wheels: no index, no other wheel directory from the environment
export PIP_CONFIG_FILE=/dev/null PIP_DISABLE_PIP_VERSION_CHECK=1
unset PIP_FIND_LINKS PIP_INDEX_URL PIP_EXTRA_INDEX_URL
python3 -m venv "$prefix/venv"
"$prefix/venv/bin/python" -m pip install --quiet --no-index --find-links "$here/wheelhouse" \
    window-clerk
cp -r "$here/docs" "$prefix/" 2>/dev/null || true
echo "已安装：$("$prefix/venv/bin/clerk" --version) → $prefix/venv/bin/clerk"

[ "$system" -eq 1 ] || exit 0
id -u "$user" >/dev/null 2>&1 || useradd --system --home-dir "$data" --shell /usr/sbin/nologin "$user"
usermod -aG dialout,lp "$user"
getent group scanner >/dev/null && usermod -aG scanner "$user"
install -d -m 0700 -o "$user" -g "$user" "$data"
install -d -m 0700 -o "$user" -g "$user" /var/backups/window-clerk
install -m 0644 "$here/udev/99-window-clerk.rules" /etc/udev/rules.d/
udevadm control --reload-rules 2>/dev/null && udevadm trigger 2>/dev/null || true
install -m 0644 "$here"/systemd/*.service "$here"/systemd/*.timer /etc/systemd/system/
ln -sf "$prefix/venv/bin/clerk" /usr/local/bin/clerk
systemctl daemon-reload 2>/dev/null || true
echo "服务用户 $user，数据目录 $data；下一步见 $prefix/docs/install.md（clerk init、clerk enrol）"
