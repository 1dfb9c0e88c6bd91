#!/usr/bin/env bash
# Print the command that runs an Odoo 16 for the tests, getting one first if needed.
#
# - ODOO_BIN set: that odoo-bin (with the Python that runs it, e.g. a venv's launcher).
# - Else an Odoo 16 unpacked from ODOO_SOURCE (a tarball: path or URL; default the
#   official 16.0 nightly, as the Dockerfile) into .odoo/src, run by the project's
#   Python 3.10 virtualenv ($VENV, which `make setup` fills with Odoo's own
#   requirements, docker/requirements-odoo.txt, beside the project's pins).
#
# Stdout: one line, `<python> <odoo-bin>` or ODOO_BIN; stdout of the steps goes to stderr.
# Also writes .odoo/addons-path: Odoo's addons folders and, for a reduced tree such as
# the slim nightly, the placeholders of tools/odoo_placeholders.py.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${VENV:-$root/.venv}
default_source=https://nightly.odoo.com/16.0/nightly/tgz/odoo_16.0.latest.tar.gz
source=${ODOO_SOURCE:-$default_source}
mkdir -p "$root/.odoo"
# Its physical path: a .odoo linked from other checkouts then writes an addons-path
# that holds from any of them.
state=$(cd "$root/.odoo" && pwd -P)

if [ -n "${ODOO_BIN:-}" ]; then
    echo "${ODOO_ADDONS_PATH:-}" > "$state/addons-path"
    echo "$ODOO_BIN"
    exit 0
fi

# The source's identity: a path by its size and time, a URL by itself (the nightly's
# "latest" changes daily; remove .odoo to take a newer one).
if [ -f "$source" ]; then
    source=$(realpath "$source")
    identity="$source $(stat -c '%s %Y' "$source")"
else
    identity=$source
fi
src=$state/src
if [ "$(cat "$state/source" 2>/dev/null)" != "$identity" ] || [ ! -f "$src/odoo/release.py" ]; then
    echo "Unpacking Odoo 16 from $source into $src" >&2
    tarball=$source
    if [ ! -f "$source" ]; then
        tarball=$state/download.tar.gz
        curl -fsSL --retry 3 --connect-timeout 20 --max-time 900 -o "$tarball" "$source"
    fi
    rm -rf "$src" "$state/unpack" && mkdir -p "$state/unpack"
    tar -xzf "$tarball" -C "$state/unpack"
    [ "$tarball" = "$source" ] || rm -f "$tarball"
    # The nightly has one top-level folder; the slim copy of it has none.
    top=$state/unpack
    if [ ! -f "$top/odoo/release.py" ] && [ "$(find "$top" -mindepth 1 -maxdepth 1 | wc -l)" = 1 ]; then
        top=$(find "$top" -mindepth 1 -maxdepth 1)
    fi
    grep -q "^version_info = (16, 0," "$top/odoo/release.py" \
        || { echo "$source is not an Odoo 16.0 source tarball" >&2; exit 1; }
    mv "$top" "$src" && rm -rf "$state/unpack"
    rm -rf "$state/placeholders"
    python3 "$root/tools/odoo_placeholders.py" "$src" "$state/placeholders" >&2
    echo "$identity" > "$state/source"
fi

addons=$src/odoo/addons
[ -d "$src/addons" ] && addons=$addons,$src/addons  # a git checkout keeps the rest there
echo "$addons,$state/placeholders" > "$state/addons-path"
launcher=$src/odoo-bin
[ -f "$launcher" ] || launcher=$src/setup/odoo
[ -x "$venv/bin/python" ] || { echo "no virtualenv at $venv: run make setup" >&2; exit 1; }
echo "$venv/bin/python $launcher"
