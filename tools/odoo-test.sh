#!/usr/bin/env bash
# Install mcp_crew and its glue modules on a fresh database of an existing Odoo 16
# and run their tests (the glue modules pull in sale_stock, crm and calendar).
# ODOO_BIN: the odoo-bin to use (default: `odoo` on PATH); skipped when neither exists.
# ODOO_ADDONS_PATH: Odoo's own addons paths; ODOO_ARGS: extra arguments (-c odoo.conf, db options).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
odoo_bin=${ODOO_BIN:-$(command -v odoo || true)}
if [ -z "$odoo_bin" ]; then
    echo "Odoo tests skipped: no Odoo 16 found (set ODOO_BIN=/path/to/odoo-bin to run them)"
    exit 0
fi
db="mcp_crew_test_$$"
# The repository's addons: from make (ADDONS), else every folder with a manifest.
addons_here=${ADDONS:-$(cd "$root" && for manifest in */__manifest__.py; do dirname "$manifest"; done)}
modules=$(echo "$addons_here" | tr ' ' '\n' | paste -sd, -)
tags=$(echo "$modules" | sed 's/[^,]*/\/&/g')
addons="${ODOO_ADDONS_PATH:+$ODOO_ADDONS_PATH,}$root"
log=$(mktemp)
trap 'dropdb --if-exists -h 127.0.0.1 -U "${PGUSER:-$(whoami)}" "$db" >/dev/null 2>&1 || true; rm -f "$log"' EXIT
# shellcheck disable=SC2086
"$odoo_bin" ${ODOO_ARGS:-} --addons-path="$addons" -d "$db" -i "$modules" --test-enable \
    --test-tags "$tags" --stop-after-init --http-port "${ODOO_TEST_PORT:-8169}" 2>&1 | tee "$log"
grep -q "odoo.tests.result: 0 failed, 0 error(s) of [1-9]" "$log" || {
    echo "Odoo tests failed or none ran" >&2; exit 1; }
