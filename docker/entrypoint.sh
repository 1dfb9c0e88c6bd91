#!/bin/sh
# Container entrypoint for Odoo 16 + mcp_crew.
#
#   (no arguments) or options only (e.g. --dev=all)
#       Serve ODOO_DB. On first start (ODOO_INIT_MODULES not yet installed in
#       that database), create/initialise it and install them first.
#   odoo [args...]
#       Run Odoo with exactly these arguments (plus the database connection),
#       e.g. `odoo -d mcp_crew -u mcp_crew --stop-after-init`. If ODOO_RESET_DB
#       is set, that database is dropped first (used by the odoo-tests service
#       to test on a fresh database).
#   anything else
#       Executed as is (e.g. `bash`).
#
# Environment (defaults match docker/odoo.conf and docker-compose.yml):
#   PGHOST=db PGPORT=5432 PGUSER=odoo PGPASSWORD=odoo  database connection;
#       exported, and read from the environment by libpq: by Odoo (odoo.conf
#       sets no db_* option) as by psql/pg_isready/dropdb. Nothing of it goes
#       on a command line, where every process list would show the password.
#   ODOO_DB=mcp_crew                 database served
#   ODOO_INIT_MODULES=mcp_crew       modules installed on first start
#   ODOO_DEMO_SETUP                  a script run once in `odoo shell` after the
#                                    first installation (the demo's MCP servers)
#   ODOO_DB_WAIT_TIMEOUT=60          seconds to wait for PostgreSQL
#   ODOO_RESET_DB                    see `odoo` mode above
set -eu

: "${PGHOST:=db}"
: "${PGPORT:=5432}"
: "${PGUSER:=odoo}"
: "${PGPASSWORD:=odoo}"
export PGHOST PGPORT PGUSER PGPASSWORD
: "${ODOO_DB:=mcp_crew}"
: "${ODOO_INIT_MODULES:=mcp_crew}"
: "${ODOO_DB_WAIT_TIMEOUT:=60}"
: "${ODOO_RESET_DB:=}"
: "${ODOO_DEMO_SETUP:=}"

log() {
    echo "entrypoint: $*" >&2
}

wait_for_postgres() {
    waited=0
    # --dbname: without it pg_isready asks for a database named like the user,
    # and PostgreSQL logs `FATAL: database "odoo" does not exist` each time.
    until pg_isready --quiet --timeout=2 --dbname=postgres; do
        if [ "$waited" -ge "$ODOO_DB_WAIT_TIMEOUT" ]; then
            log "PostgreSQL at $PGHOST:$PGPORT not ready after ${ODOO_DB_WAIT_TIMEOUT}s, giving up"
            exit 1
        fi
        log "waiting for PostgreSQL at $PGHOST:$PGPORT..."
        sleep 2
        waited=$((waited + 2))
    done
}

# Prints "yes" when every module of ODOO_INIT_MODULES is installed in ODOO_DB.
# Any failure (database or table missing) means "not yet": `odoo -i` then
# creates the database and/or initialises it.
modules_installed() {
    # Asked of `postgres` first: psql on a missing database makes PostgreSQL
    # log a FATAL error, which a first start is not.
    exists=$(psql --dbname=postgres --no-psqlrc --tuples-only --no-align \
        --command="SELECT 1 FROM pg_database WHERE datname = '$ODOO_DB'" 2>/dev/null) || exists=""
    if [ "$exists" != 1 ]; then
        echo no
        return
    fi
    modules=$(echo "$ODOO_INIT_MODULES" | tr ',' ' ')
    for module in $modules; do
        state=$(psql --dbname="$ODOO_DB" --no-psqlrc --tuples-only --no-align \
            --command="SELECT state FROM ir_module_module WHERE name = '$module'" \
            2>/dev/null) || state=""
        if [ "$state" != "installed" ]; then
            echo no
            return
        fi
    done
    echo yes
}

# Odoo reads everything else from $ODOO_RC; the connection comes from the
# PG* environment (libpq).
run_odoo() {
    exec odoo "$@"
}

# Options only: serve the database.
if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then
    wait_for_postgres
    if [ "$(modules_installed)" != "yes" ]; then
        log "installing $ODOO_INIT_MODULES on database $ODOO_DB (first start)"
        # A subshell, because run_odoo execs.
        (run_odoo --database="$ODOO_DB" --init="$ODOO_INIT_MODULES" --stop-after-init)
        log "installation done"
        if [ -n "$ODOO_DEMO_SETUP" ]; then
            log "running $ODOO_DEMO_SETUP"
            (run_odoo shell --database="$ODOO_DB" --no-http < "$ODOO_DEMO_SETUP")
        fi
    fi
    run_odoo --database="$ODOO_DB" "$@"
fi

if [ "$1" = "odoo" ]; then
    shift
    wait_for_postgres
    if [ -n "$ODOO_RESET_DB" ]; then
        if [ "$ODOO_RESET_DB" = "$ODOO_DB" ]; then
            log "refusing to drop the served database $ODOO_DB (ODOO_RESET_DB)"
            exit 1
        fi
        log "dropping database $ODOO_RESET_DB for a fresh run"
        dropdb --if-exists "$ODOO_RESET_DB"
        # Its filestore too, when data_dir is a volume shared with earlier runs.
        rm -rf "/var/lib/odoo/filestore/$ODOO_RESET_DB"
    fi
    run_odoo "$@"
fi

exec "$@"
