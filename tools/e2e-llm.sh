#!/usr/bin/env bash
# `make e2e-llm`: crews against a real model in a real Odoo (tools/e2e_llm.py).
#
# The model: E2E_LLM_BASE_URL (+ E2E_LLM_MODEL, E2E_LLM_API_KEY, and
# E2E_EMBEDDINGS_BASE_URL / E2E_EMBEDDINGS_MODEL for the embeddings) names any
# OpenAI-compatible endpoint; otherwise ../shared/tools/local-llm.sh (LOCAL_LLM,
# default ../shared/tools/local-llm.sh) builds and starts llama.cpp with
# Qwen2.5-Coder (E2E_LOCAL_MODEL: 1.5b, the default, or 0.5b) and a multilingual
# embeddings server, offline; the first set-up takes about 15 minutes.
# Odoo: tools/ensure-odoo.sh, as for the Odoo tests, with ODOO_ARGS (default: the
# database host PGHOST) as they have it. Extra arguments go to e2e_llm.py (e.g.
# --case "two tools").
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=tools/odoo-addons.sh
source "$root/tools/odoo-addons.sh"
python=${odoo%% *}
odoo_bin=${odoo##* }

if [ -z "${E2E_LLM_BASE_URL:-}" ]; then
    local_llm=${LOCAL_LLM:-$root/../shared/tools/local-llm.sh}
    [ -f "$local_llm" ] || { echo "no E2E_LLM_BASE_URL and no $local_llm" >&2; exit 2; }
    size=${E2E_LOCAL_MODEL:-1.5b}
    bash "$local_llm" setup
    bash "$local_llm" start "$size"  # idempotent: keeps a server already running it
    export E2E_LLM_BASE_URL="http://127.0.0.1:${LOCAL_LLM_CHAT_PORT:-18080}/v1"
    export E2E_LLM_MODEL="qwen2.5-coder-$size-instruct"
    export E2E_EMBEDDINGS_BASE_URL=${E2E_EMBEDDINGS_BASE_URL:-http://127.0.0.1:${LOCAL_LLM_EMB_PORT:-18081}/v1}
    export E2E_EMBEDDINGS_MODEL=${E2E_EMBEDDINGS_MODEL:-multilingual-e5-small-q4}
fi
: "${E2E_LLM_MODEL:?E2E_LLM_MODEL names the model at E2E_LLM_BASE_URL}"
echo "e2e-llm: model $E2E_LLM_MODEL at $E2E_LLM_BASE_URL; embeddings ${E2E_EMBEDDINGS_MODEL:-none}"
# shellcheck disable=SC2086
ODOO_ROOT=$(dirname "$odoo_bin") exec "$python" tools/e2e_llm.py "$@" \
    --addons-path="$addons_path" $odoo_args --log-level=warn
