#!/usr/bin/env bash
# Create a Python 3.10 virtualenv at $1 (Odoo 16 needs 3.10; CrewAI and MCP need >= 3.10).
set -euo pipefail
venv=${1:-.venv}
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then
    exit 0
fi
for candidate in python3.10 "$HOME"/.pyenv/versions/3.10*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import venv' 2>/dev/null; then
        rm -rf "$venv"
        "$candidate" -m venv "$venv"
        "$venv/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
        exit 0
    fi
done
echo "Python 3.10 not found: install it (pyenv install 3.10, or your distribution's python3.10)" >&2
exit 1
