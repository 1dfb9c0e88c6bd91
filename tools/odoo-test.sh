#!/usr/bin/env bash
# Install the repository's addons on fresh databases of Odoo 16 and run their tests
# (browser tests included), once with demo data (Odoo's default, as OCA's CI) and
# once without: both must pass. The glue modules pull in sale_stock, crm and calendar.
#
# Odoo: tools/ensure-odoo.sh (ODOO_BIN, or ODOO_SOURCE unpacked into .odoo).
# ADDONS: the addons to install and test (default: every folder with a manifest).
# ODOO_TEST_TAGS: narrower --test-tags (default: all tests of ADDONS), e.g. /mcp_crew:TestRuns.
# ODOO_DEMO_MODES: "demo nodemo" (default), or one of them.
# ODOO_ARGS: extra odoo-bin arguments (-c odoo.conf, db options).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tools/odoo-addons.sh
source "$root/tools/odoo-addons.sh"
tags=${ODOO_TEST_TAGS:-$(echo "$modules" | sed 's/[^,]*/\/&/g')}
# The HTTP tests' port: a free one unless given, so that runs side by side never collide.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# Odoo's browser tests need Chromium (Debian's package).
command -v chromium >/dev/null || command -v chromium-browser >/dev/null \
    || command -v google-chrome >/dev/null || "$root/tools/apt-install.sh" chromium

logs=$(mktemp -d)
databases=()
cleanup() {
    odoo_drop "${databases[@]}"
    rm -rf "$logs"
}
trap cleanup EXIT

status=0
summary=()
for mode in ${ODOO_DEMO_MODES:-demo nodemo}; do
    db="mcp_crew_test_${mode}_$$"
    # <db>_peer: the second database the tests of /mcp across databases make and
    # drop themselves (mcp_crew/tests/odoo_peer.py), should a test run be killed.
    databases+=("$db" "${db}_peer")
    demo_option=()
    [ "$mode" = nodemo ] && demo_option=(--without-demo=all)
    port=${ODOO_TEST_PORT:-$(free_port)}
    echo "=== Odoo tests ($mode): $modules on a fresh database $db, HTTP port $port"
    start=$(date +%s)
    odoo_on "$db" -i "$modules" "${demo_option[@]}" --test-enable --test-tags "$tags" \
        --stop-after-init --http-port "$port" --log-level=test 2>&1 | tee "$logs/$mode.log"
    result=$(grep -o "odoo.tests.result: .*" "$logs/$mode.log" | tail -n1 || true)
    summary+=("Odoo tests ($mode, $(( $(date +%s) - start )) s): ${result#odoo.tests.result: }")
    if ! grep -Eq "odoo.tests.result: 0 failed, 0 error\(s\) of [1-9]" "$logs/$mode.log"; then
        status=1
    fi
done
printf '%s\n' "${summary[@]}"
[ "$status" = 0 ] || echo "Odoo tests failed or none ran" >&2
exit "$status"
