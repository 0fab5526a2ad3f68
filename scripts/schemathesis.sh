#!/usr/bin/env bash
# A bounded schemathesis run (property-based, from the OpenAPI document) against the real task
# API on SQLite: no 5xx, responses and status codes conform to the document.
#   scripts/schemathesis.sh [MAX_EXAMPLES]
# schemathesis is installed from PyPI, pinned, into a virtualenv outside the clone that later
# runs reuse.
set -euo pipefail
cd "$(dirname "$0")/.."
examples=${1:-25}
venv=${PORTFOLIO_CACHE:-$HOME/.cache/portfolio}/schemathesis-4.32.5
if [ ! -x "$venv/bin/st" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis==4.32.5"
fi
# PORTFOLIO_BIN_DIR: binaries built already (make test's build stage); else build the API.
if [ -z "${PORTFOLIO_BIN_DIR:-}" ]; then
  cargo build -q --locked -p task-api
fi
bin=${PORTFOLIO_BIN_DIR:-${CARGO_TARGET_DIR:-target}/debug}/task-api
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
TASK_API_RATE_LIMIT_PER_IP=0 TASK_API_RATE_LIMIT_PER_USER=0 PORTFOLIO_DATA_DIR=$work KAFKA_BOOTSTRAP_SERVERS= JWT_SECRET=schemathesis-secret-schemathesis-secret \
  TASK_API_ADDR=127.0.0.1:$port RUST_LOG=error "$bin" >"$work/api.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
base=http://127.0.0.1:$port
for _ in $(seq 100); do curl -sf "$base/readyz" >/dev/null && break; sleep 0.1; done
token=$(curl -sf -XPOST "$base/v1/auth/register" -H 'content-type: application/json' \
  -d '{"email":"schemathesis@example.org","password":"correct horse battery"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
curl -sf -XPOST "$base/v1/projects" -H "authorization: Bearer $token" -H 'content-type: application/json' -d '{"name":"fuzzed"}' >/dev/null
"$venv/bin/st" run "$base/openapi.json" -H "Authorization: Bearer $token" \
  --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance \
  --max-examples "$examples" --generation-deterministic --phases examples,fuzzing --request-timeout 10 \
  --no-color
