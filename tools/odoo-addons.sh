# shellcheck shell=bash
# Sourced by the scripts that run this repository's addons in an Odoo 16 (odoo-test.sh,
# i18n-export.sh, e2e-llm.sh), with $root set to the repository:
#   odoo         the command that runs Odoo (tools/ensure-odoo.sh gets one first if needed)
#   addons_path  Odoo's addons folders, then this repository
#   addons_here  ADDONS, or every folder here with a manifest (space-separated)
#   modules      the same, comma-separated (odoo-bin -i)
#   odoo_on      runs that Odoo on a database (below)
odoo=$("$root/tools/ensure-odoo.sh")
addons_path=$(cat "$root/.odoo/addons-path")
addons_path=${addons_path:+$addons_path,}$root
addons_here=${ADDONS:-$(cd "$root" && for manifest in */__manifest__.py; do dirname "$manifest"; done)}
modules=$(echo "$addons_here" | tr ' ' '\n' | grep . | paste -sd, -)

# odoo_on DB ARGUMENTS...: that Odoo on database DB with these addons; ODOO_ARGS adds
# odoo-bin arguments (-c odoo.conf, db options), by default the database host PGHOST.
odoo_on() {
    local db=$1
    shift
    # shellcheck disable=SC2086
    $odoo ${ODOO_ARGS:-${PGHOST:+--db_host=$PGHOST}} --addons-path="$addons_path" -d "$db" "$@"
}
