#!/usr/bin/env bash
# `make i18n`: re-export each addon's i18n/<addon>.pot with Odoo's exporter and merge
# its .po files (pt_BR) with it, then list the strings left to translate.
#
# On a scratch database with the addons installed without demo data (dropped at the
# end, also on failure): `odoo-bin --i18n-export` per addon, the template that
# mcp_crew's TestTranslations compares with the code; tools/i18n_merge.py writes it
# and the .po files in the order and wrapping Odoo writes them, keeping each file's
# header and every translation whose msgid is still exported.
#
# Odoo: tools/ensure-odoo.sh (ODOO_BIN, or ODOO_SOURCE unpacked into .odoo).
# ADDONS: the addons to export (default: every folder with a manifest).
# ODOO_ARGS: extra odoo-bin arguments (-c odoo.conf, db options).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tools/odoo-addons.sh
source "$root/tools/odoo-addons.sh"

db=mcp_crew_i18n_$$
exported=$(mktemp -d)
cleanup() {
    odoo_drop "$db"
    rm -rf "$exported"
}
trap cleanup EXIT

run_odoo() { odoo_on "$db" --stop-after-init --log-level=warn "$@"; }
echo "=== Installing $modules without demo data on a scratch database $db"
run_odoo -i "$modules" --without-demo=all
# One export per addon: exported together (a .tgz), a term two addons share (the
# name of a model both extend) lands in one template only.
for addon in $addons_here; do
    echo "=== Exporting $addon"
    run_odoo --i18n-export="$exported/$addon.pot" --modules="$addon"
done
# shellcheck disable=SC2086
"${VENV:-$root/.venv}/bin/python" "$root/tools/i18n_merge.py" "$exported" "$root" $addons_here
