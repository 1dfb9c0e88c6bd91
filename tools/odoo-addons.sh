# shellcheck shell=bash
# Sourced by the scripts that run this repository's addons in an Odoo 16 (odoo-test.sh,
# i18n-export.sh, e2e-llm.sh), with $root set to the repository:
#   odoo         the command that runs Odoo (tools/ensure-odoo.sh gets one first if needed)
#   addons_path  Odoo's addons folders, then this repository
#   addons_here  ADDONS, or every folder here with a manifest (space-separated)
#   modules      the same, comma-separated (odoo-bin -i)
#   odoo_args    ODOO_ARGS: extra odoo-bin arguments (-c odoo.conf, db options), by
#                default the database host PGHOST
#   odoo_on      runs that Odoo on a database (below)
#   odoo_drop    drops databases as that Odoo sees them (below)
odoo=$("$root/tools/ensure-odoo.sh")
addons_path=$(cat "$root/.odoo/addons-path")
addons_path=${addons_path:+$addons_path,}$root
addons_here=${ADDONS:-$(cd "$root" && for manifest in */__manifest__.py; do dirname "$manifest"; done)}
modules=$(echo "$addons_here" | tr ' ' '\n' | grep . | paste -sd, -)
odoo_args=${ODOO_ARGS:-${PGHOST:+--db_host=$PGHOST}}

# odoo_on DB ARGUMENTS...: that Odoo on database DB with these addons and odoo_args.
odoo_on() {
    local db=$1
    shift
    # shellcheck disable=SC2086
    $odoo $odoo_args --addons-path="$addons_path" -d "$db" "$@"
}

# odoo_drop DB...: drop these databases (those that exist) and their filestores with
# `odoo-bin db drop`, on the server and data folder that odoo_args's options name (a
# plain dropdb would miss both: another server's databases and every filestore stay).
odoo_drop() {
    # shellcheck disable=SC2086
    local given=($odoo_args) options=() index=0 db
    # Only the options `odoo-bin db` takes; it refuses any other.
    while [ "$index" -lt "${#given[@]}" ]; do
        case ${given[$index]} in
            -c | -D | -r | -w | --config | --data-dir | --db_user | --db_password | --db_host \
                | --db_port | --db_sslmode | --pg_path)
                options+=("${given[$index]}" "${given[$((index + 1))]:-}")
                index=$((index + 1))
                ;;
            --config=* | --data-dir=* | --db_user=* | --db_password=* | --db_host=* \
                | --db_port=* | --db_sslmode=* | --pg_path=*)
                options+=("${given[$index]}")
                ;;
        esac
        index=$((index + 1))
    done
    for db in "$@"; do
        # A database that does not exist (a peer no test made) is no error.
        $odoo db "${options[@]}" drop "$db" >/dev/null 2>&1 || true
    done
}
