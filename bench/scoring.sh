#!/usr/bin/env bash
# The scoring service under load — issue #23's targets: gRPC unary Score >= 50,000 req/s with
# p99 < 2 ms, REST POST /v1/score >= 40,000 req/s with p99 < 3 ms (a single prediction
# < 5 µs is criterion's: `cargo bench -p scoring-service --bench predict`).
#   bash bench/scoring.sh [SECONDS]     (default 10 s per protocol; BENCH_DIR=...)
# Release builds of the service and its load generator; a model trained by `mlops` on the
# synthetic feature table and promoted to staging; one project seeded through a real broker.
# The load generator (`scoring-load grpc`, tonic's client, 1 thread) and wrk (1 thread) run
# on the same 2 cores as the server. The per-client rate limit is off: all load comes from
# one token. Each row is repeated against `scoring-load bare`: tonic and axum servers of the
# same versions with a fixed answer, the transport's ceiling on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib/task-api.sh
secs=${1:-10}
ensure_wrk
cargo build -q --locked -p kafka-broker -p mlops
cargo build -q --locked --release -p scoring-service
dbg=$(realpath "${CARGO_TARGET_DIR:-target}/debug")
rel=$(realpath "${CARGO_TARGET_DIR:-target}/release")
work=$(mktemp -d "${BENCH_DIR:-/tmp}/scoring-bench.XXXXXX")
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
kport=$(free_port); rport=$(free_port); gport=$(free_port); bare_rport=$(free_port); bare_gport=$(free_port)

KAFKA_BROKER_LISTEN="127.0.0.1:$kport" PORTFOLIO_DATA_DIR="$work/broker" RUST_LOG=error "$dbg/kafka-broker" >"$work/broker.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/$kport) 2>/dev/null && break; sleep 0.1; done

echo "training a model on the synthetic table and promoting it to staging…" >&2
export MLOPS_REGISTRY="$work/models" PORTFOLIO_ACTOR=bench RUST_LOG=error
"$rel/scoring-load" features --rows 20000 >"$work/features.csv"
"$dbg/mlops" train --csv "$work/features.csv" --out "$work/run" >/dev/null 2>&1
"$dbg/mlops" evaluate --run "$work/run" >/dev/null 2>&1
"$dbg/mlops" register --run "$work/run" >/dev/null 2>&1
"$dbg/mlops" promote --version 1 --to staging >/dev/null 2>&1

export JWT_SECRET=bench-secret-bench-secret-bench-secret
read -r project token < <("$rel/scoring-load" seed --bootstrap "127.0.0.1:$kport")
SCORING_ADDR="127.0.0.1:$rport" SCORING_GRPC_ADDR="127.0.0.1:$gport" SCORING_MODEL_STAGE=staging \
  KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$kport" PORTFOLIO_DATA_DIR="$work/scoring" SCORING_RATE_PER_CLIENT=0 \
  "$rel/scoring-service" >"$work/scoring.log" 2>&1 &
pids+=($!)
wait_up "http://127.0.0.1:$rport/readyz"
for _ in $(seq 100); do
  curl -sf -H "authorization: Bearer $token" "http://127.0.0.1:$rport/v1/projects/$project/risk" >/dev/null && break
  sleep 0.1
done

"$rel/scoring-load" bare --addr "127.0.0.1:$bare_rport" --grpc-addr "127.0.0.1:$bare_gport" 2>/dev/null &
pids+=($!)
wait_up_tcp() { for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; echo "not up: $1" >&2; exit 1; }
wait_up_tcp "$bare_rport"; wait_up_tcp "$bare_gport"

due=$(date -u -d '+5 days' +%F)
cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.headers["authorization"] = "Bearer $token"
wrk.body = '{"task":{"project_id":"$project","priority":"high","due_date":"$due","label_count":2,"description_length":120,"has_assignee":true}}'
LUA
curl -sf -X POST -H "authorization: Bearer $token" -H 'content-type: application/json' \
  --data "$(sed -n "s/^wrk.body = '\(.*\)'$/\1/p" "$work/post.lua")" "http://127.0.0.1:$rport/v1/score" >/dev/null \
  || { echo "the REST request the benchmark sends fails" >&2; exit 1; }

echo "scoring-service load benchmark: release build, $(nproc) cores shared with the load generator, ${secs} s per row"
echo "(bare: tonic and axum servers of the same versions answering a fixed score, no auth, layers or model)"
printf '%-44s %12s %10s %10s\n' "" "req/s" "p50 ms" "p99 ms"
for shape in "1 32" "2 16"; do
  set -- $shape
  for server in "scoring-service $gport" "bare tonic $bare_gport"; do
    name=${server% *}; port=${server##* }
    r=$("$rel/scoring-load" grpc --url "http://127.0.0.1:$port" --project "$project" --token "$token" \
      --connections "$1" --concurrency "$2" --seconds "$secs" --json)
    python3 - "$r" "gRPC Score, $name, $1x$2" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
errors = f"  ({r['errors']} errors)" if r["errors"] else ""
print(f"{sys.argv[2]:<44} {r['requests_per_second']:>12,.0f} {r['p50_ms']:>10.3f} {r['p99_ms']:>10.3f}{errors}")
PY
  done
done
for c in 16 64; do
  for server in "scoring-service $rport" "bare axum $bare_rport"; do
    name=${server% *}; port=${server##* }
    out=$(wrk -t1 -c"$c" -d"${secs}s" --latency -s "$work/post.lua" "http://127.0.0.1:$port/v1/score")
    awk -v n="REST POST /v1/score, $name, c$c" '/Requests\/sec/ {r=$2} $1=="50%" {p50=$2} $1=="99%" {p99=$2} /Non-2xx/ {bad=$5}
      function ms(x) { if (x ~ /us$/) return x/1000; if (x ~ /ms$/) return x+0; return x*1000 }
      END { printf "%-44s %12s %10.3f %10.3f%s\n", n, sprintf("%d", r), ms(p50), ms(p99), (bad ? "  (" bad " non-2xx)" : "") }' <<<"$out"
  done
done
