#!/usr/bin/env bash
# Install Debian packages that are missing (root, or sudo). Usage: apt-install.sh PACKAGE...
set -euo pipefail
# Not Debian-like: the packages are the user's business (the failing step names them).
command -v dpkg-query >/dev/null || exit 0
missing=()
for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
[ "${#missing[@]}" = 0 ] && exit 0
command -v apt-get >/dev/null || { echo "cannot install ${missing[*]}: no apt-get" >&2; exit 1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
echo "Installing Debian packages: ${missing[*]}" >&2
as_root apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
