#!/usr/bin/env bash
# The task API's stack against the machine's HTTP ceiling (issue #33): a bare axum server of
# the same axum/hyper/tokio versions (`task-api --example bare_axum`) and the task API, side by
# side in one run, same wrk settings, printing requests/s, p99 and the ratio for
#   /healthz                                      (task API vs bare)
#   GET /v1/tasks/{id}, authenticated and cached  (task API vs bare)
#   POST /v1/projects/{id}/tasks on SQLite        (absolute: target >= 15,000/s)
# Targets: cached GET >= 50 % of bare, /healthz >= 70 %, p99 <= 3 ms.
#   bash bench/http-ceiling.sh [SECONDS]            (default 10 s per figure)
#   SOAK=600 bash bench/http-ceiling.sh             (then a SOAK-second run at full rate on the
#                                                    cached GET, RSS sampled every 10 s)
# Release builds; Debian's wrk (installed when missing) -t2 -c64 on the same 2-core machine, so
# every figure includes the load generator's share of the CPU. Rate limits are off (one client
# IP would be throttled at 500 requests/s), the relay is off (no broker), logs at `error`.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
. bench/lib/task-api.sh
ensure_wrk
cargo build -q --locked --release -p task-api --bin task-api --example bare_axum
target=${CARGO_TARGET_DIR:-target}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

bare_port=$(free_port)
"$target/release/examples/bare_axum" "127.0.0.1:$bare_port" 2>"$work/bare.log" &
pids+=($!)
wait_up "http://127.0.0.1:$bare_port/healthz"
api_port=$(free_port)
start_task_api "$target/release/task-api" "$api_port" "$work"
pids+=("$api_pid")

base=http://127.0.0.1:$api_port/v1
fixture "$base" "$work"

# wrk … → "requests/s p99 non-2xx"
load() {
  local out
  out=$(wrk -t2 -c64 -d"${secs}s" --latency "$@")
  awk '/Requests\/sec/ {rps=$2} $1=="99%" {p99=$2} /Non-2xx/ {err=$NF}
       END {printf "%d %s %d\n", rps, p99, err}' <<<"$out"
}
# Bare first and last: the ceiling is their mean, so a drift of the machine during the run shows.
read -r bare1 bare1_p99 _ < <(load "http://127.0.0.1:$bare_port/healthz")
read -r health health_p99 health_err < <(load "http://127.0.0.1:$api_port/healthz")
read -r get get_p99 get_err < <(load -H "authorization: Bearer $token" "$base/tasks/$task")
read -r post post_p99 post_err < <(load -s "$work/post.lua" "$base/projects/$project/tasks")
read -r bare2 bare2_p99 _ < <(load "http://127.0.0.1:$bare_port/healthz")
rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$api_pid/status")

python3 - "$secs" "$bare1" "$bare2" "$bare1_p99" "$health" "$health_p99" "$health_err" \
  "$get" "$get_p99" "$get_err" "$post" "$post_p99" "$post_err" "$rss_kb" <<'PY'
import sys
secs, bare1, bare2, bare_p99, health, hp99, herr, get, gp99, gerr, post, pp99, perr, rss = sys.argv[1:]
bare = (int(bare1) + int(bare2)) / 2
print(f"http ceiling: wrk -t2 -c64 -d{secs}s, release builds, both servers and wrk on the same machine")
print(f"  bare axum /healthz          {bare:>9,.0f} req/s  ({int(bare1):,} before, {int(bare2):,} after)  p99 {bare_p99}")
def row(name, rps, p99, err, target):
    ratio = int(rps) / bare
    flag = "" if target is None else ("  ok" if ratio >= target else f"  BELOW the {target:.0%} target")
    print(f"  {name:<27} {int(rps):>9,} req/s  {ratio:>6.1%} of bare{flag}  p99 {p99}  non-2xx {err}")
row("task API /healthz", health, hp99, herr, 0.70)
row("task API GET /v1/tasks/{id}", get, gp99, gerr, 0.50)
row("task API POST task (SQLite)", post, pp99, perr, None)
print(f"  POST target >= 15,000 req/s: {'ok' if int(post) >= 15000 else 'BELOW'}; task API RSS after the run {int(rss)/1024:.0f} MB")
PY

if [ -n "${SOAK:-}" ]; then
  echo "soak: ${SOAK} s of GET /v1/tasks/{id} at full rate, nothing scraping /metrics; RSS every 10 s (MB):"
  wrk -t2 -c64 -d"${SOAK}s" -H "authorization: Bearer $token" "$base/tasks/$task" >"$work/soak.txt" &
  wrk_pid=$!
  samples=()
  while kill -0 "$wrk_pid" 2>/dev/null; do
    samples+=("$(awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$api_pid/status")")
    sleep 10
  done
  echo "  ${samples[*]}"
  awk '/Requests\/sec/ {printf "  %s requests/s over the soak\n", $2}' "$work/soak.txt"
  python3 - "${samples[@]}" <<'PY'
import sys
s = [int(x) for x in sys.argv[1:]]
warm = s[len(s) // 10:] or s   # the first tenth warms up caches and pools
lo, hi = min(warm), max(warm)
print(f"  after warm-up: min {lo} MB, max {hi} MB, spread {100 * (hi - lo) / lo:.1f} % (target: flat within 10 %)")
PY
  metrics=$(curl -sf "http://127.0.0.1:$api_port/metrics")
  grep -E '^http_requests_total\{.*route="/v1/tasks/\{id\}".*status="200"' <<<"$metrics" | head -1 | sed 's/^/  \/metrics still renders: /'
fi
