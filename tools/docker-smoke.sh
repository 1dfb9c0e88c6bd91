#!/usr/bin/env bash
# make docker-smoke: the README's Docker commands, run and checked as a new
# user would. Builds both images, starts the stack, waits for Odoo to be
# healthy, checks it over HTTP (tools/docker_smoke_checks.py: one line per
# check), runs the test profile (the addons' Odoo tests on a fresh database
# with demo data), and always removes the stack and its volumes at the end.
#
# Its own Compose project (COMPOSE_PROJECT_NAME, default mcp-crew-smoke), so
# `down -v` never touches the database of a `docker compose up` of yours.
# Environment: ODOO_HTTP_PORT (default 8069) where Odoo is published on
# 127.0.0.1; ODOO_SOURCE_URL / ODOO_SOURCE_SHA256 (see Dockerfile);
# DOCKER_SMOKE_HEALTH_TIMEOUT (default 1800 s) for the first start.
# Needs Docker with Compose v2 and python3; no virtualenv.
set -euo pipefail
cd "$(dirname "$0")/.."

export COMPOSE_PROJECT_NAME=${COMPOSE_PROJECT_NAME:-mcp-crew-smoke}
export ODOO_HTTP_PORT=${ODOO_HTTP_PORT:-8069}
# What the checks expect whatever a local .env says: no metrics token (404),
# no LLM (the demo answers without one).
export MCP_CREW_METRICS_TOKEN="" MCP_CREW_LLM_MODEL="" MCP_CREW_LLM_BASE_URL="" MCP_CREW_LLM_API_KEY=""
health_timeout=${DOCKER_SMOKE_HEALTH_TIMEOUT:-1800}

compose() { docker compose --profile test "$@"; }
say() { printf 'docker-smoke: %s\n' "$*"; }
now() { date +%s; }
log=$(mktemp)
cleanup() {
    status=$?
    say "docker compose down -v"
    compose down -v --remove-orphans >/dev/null 2>&1 || say "docker compose down -v failed"
    rm -f "$log"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

command -v python3 >/dev/null || { say "python3 is needed for the checks"; exit 1; }
docker compose version >/dev/null || { say "Docker Compose v2 is needed"; exit 1; }
start=$(now)
# Left-overs of an interrupted run would keep their database.
compose down -v --remove-orphans >/dev/null 2>&1 || true

step=$(now)
say "building ${ODOO_SOURCE_URL:+with ODOO_SOURCE_URL=$ODOO_SOURCE_URL }(docker compose --profile test build)"
if ! compose build >"$log" 2>&1; then
    tail -n 40 "$log"
    say "FAIL build"
    exit 1
fi
say "ok   build in $(( $(now) - step )) s: $(docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' mcp-crew-odoo | sort | paste -sd ';' - | sed 's/;/; /g')"

step=$(now)
say "docker compose up -d"
docker compose up -d
odoo=$(docker compose ps -q odoo)
while :; do
    health=$(docker inspect -f '{{.State.Health.Status}}' "$odoo" 2>/dev/null || echo gone)
    [ "$health" = healthy ] && break
    if [ "$health" != starting ] || [ $(( $(now) - step )) -ge "$health_timeout" ]; then
        docker compose ps -a
        docker compose logs --tail 60 odoo
        say "FAIL odoo is $health after $(( $(now) - step )) s"
        exit 1
    fi
    sleep 5
done
say "ok   healthy in $(( $(now) - step )) s: $(docker compose ps --format '{{.Service}} {{.Health}}' | paste -sd ',' - | sed 's/,/, /g')"

failed=0
python3 tools/docker_smoke_checks.py --url "http://127.0.0.1:$ODOO_HTTP_PORT" | sed 's/^/docker-smoke: /' \
    || failed=1

step=$(now)
say "docker compose --profile test run --rm odoo-tests"
tests_log=$(mktemp "${TMPDIR:-/tmp}/docker-smoke-tests.XXXXXX")
set +e
compose run --rm odoo-tests >"$tests_log" 2>&1
tests_status=$?
set -e
result=$(grep -o 'odoo.tests.result: .*' "$tests_log" | tail -n 1)
if [ "$tests_status" = 0 ] && echo "$result" | grep -Eq ': 0 failed, 0 error\(s\) of [1-9]'; then
    say "ok   tests in $(( $(now) - step )) s: ${result#odoo.tests.result: }"
    rm -f "$tests_log"
else
    grep -E ' (ERROR|CRITICAL) ' "$tests_log" | tail -n 40
    say "FAIL tests (exit $tests_status) in $(( $(now) - step )) s: ${result:-no result line} (full log: $tests_log)"
    failed=1
fi

if [ "$failed" = 0 ]; then
    say "all checks passed in $(( $(now) - start )) s"
else
    say "FAILED after $(( $(now) - start )) s"
fi
exit "$failed"
