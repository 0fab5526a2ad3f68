#!/usr/bin/env bash
# Load benchmark of the task API (issue #3's targets): GET /v1/tasks/{id} and POST task
# (with its outbox write), 64 connections, release build, SQLite (also with the Redis cache when
# redis-server is installed) and PostgreSQL.
#   bash bench/task-api.sh [SECONDS]
# Uses Debian's wrk (installed when missing) on the same 2-core machine as the server, so the
# figures include the load generator's share of the CPU. The outbox relay is off (no broker):
# the POST figure includes the outbox insert, not the publish. Rate limits are off (one client
# IP would otherwise be throttled at 500 requests/s).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
if ! command -v wrk >/dev/null; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  DEBIAN_FRONTEND=noninteractive $sudo apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q wrk >/dev/null
fi
cargo build -q --locked --release -p task-api
bin=${CARGO_TARGET_DIR:-target}/release/task-api

run_one() { # $1 = label, $2 = DATABASE_URL (empty: SQLite), $3 = REDIS_URL (empty: in-process cache)
  local label=$1 db=$2 redis=${3:-} work port pid token project task
  work=$(mktemp -d)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  REDIS_URL=$redis DATABASE_URL=$db PORTFOLIO_DATA_DIR=$work KAFKA_BOOTSTRAP_SERVERS= JWT_SECRET=bench-secret-bench-secret-bench-secret \
    TASK_API_RATE_LIMIT_PER_IP=0 TASK_API_RATE_LIMIT_PER_USER=0 TASK_API_ADDR=127.0.0.1:$port RUST_LOG=error "$bin" >"$work/api.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  local base=http://127.0.0.1:$port/v1
  token=$(curl -sf -XPOST "$base/auth/register" -H 'content-type: application/json' \
    -d '{"email":"bench@example.org","password":"correct horse battery"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  project=$(curl -sf -XPOST "$base/projects" -H "authorization: Bearer $token" -H 'content-type: application/json' \
    -d '{"name":"bench"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  task=$(curl -sf -XPOST "$base/projects/$project/tasks" -H "authorization: Bearer $token" -H 'content-type: application/json' \
    -d '{"title":"read me"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.headers["authorization"] = "Bearer $token"
wrk.body = '{"title":"load test task","priority":"high","labels":["bench"]}'
LUA
  local get post
  get=$(wrk -t2 -c64 -d"${secs}s" --latency -H "authorization: Bearer $token" "$base/tasks/$task")
  post=$(wrk -t2 -c64 -d"${secs}s" --latency -s "$work/post.lua" "$base/projects/$project/tasks")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  for kind in GET POST; do
    local out; [ $kind = GET ] && out=$get || out=$post
    local rps p99 errors
    rps=$(awk '/Requests\/sec/ {printf "%d", $2}' <<<"$out")
    p99=$(awk '$1=="99%" {print $2}' <<<"$out")
    errors=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
    printf '  %-12s %-4s %8s req/s   p99 %-8s non-2xx %s\n' "$label" "$kind" "$rps" "$p99" "${errors:-0}"
  done
  rm -rf "$work"
}

echo "task-api load benchmark: wrk -t2 -c64 -d${secs}s, release build, $(nproc) cores shared with wrk"
run_one sqlite ""
if command -v redis-server >/dev/null; then
  rport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no >/dev/null &
  rpid=$!
  sleep 0.5
  run_one sqlite+redis "" "redis://127.0.0.1:$rport"
  kill "$rpid"; wait "$rpid" 2>/dev/null || true
fi
if [ -n "${TEST_DATABASE_URL:-}" ]; then
  run_one postgres "$TEST_DATABASE_URL"
else
  echo "  (PostgreSQL: run under scripts/with-postgres.sh to include it)"
fi
