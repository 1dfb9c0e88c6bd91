#!/usr/bin/env bash
# Node.js runs the third-party reference MCP server used by the engine tests.
set -euo pipefail
if command -v node >/dev/null && command -v npm >/dev/null; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq nodejs npm
else
    echo "Node.js and npm are required (apt-get install nodejs npm)" >&2; exit 1
fi
