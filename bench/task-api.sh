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
. bench/lib/task-api.sh
ensure_wrk
cargo build -q --locked --release -p task-api
bin=${CARGO_TARGET_DIR:-target}/release/task-api

run_one() { # $1 = label, $2 = DATABASE_URL (empty: SQLite), $3 = REDIS_URL (empty: in-process cache)
  local label=$1 db=$2 redis=${3:-} work port pid token project task
  work=$(mktemp -d)
  port=$(free_port)
  start_task_api "$bin" "$port" "$work" REDIS_URL="$redis" DATABASE_URL="$db"
  pid=$api_pid
  local base=http://127.0.0.1:$port/v1
  fixture "$base" "$work"
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
  rport=$(free_port)
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
