#!/usr/bin/env bash
# Consumer throughput end to end into the lake: release builds, a fresh broker data folder and
# lake, N of the smallest task events (about 740 bytes) already in `events.tasks` (sent by the producer), then the
# consumer started and timed until every event is in bronze (polling its /stats). Runs it with
# forwarding to `events.tasks.enriched` and without, and, for comparison, the broker alone
# (rdkafka consuming the same topic with no processing at all).
#   bash bench/kafka-consumer.sh [EVENTS]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200000}
cargo build -q --locked --release -p kafka-broker -p kafka-data-producer -p kafka-data-consumer \
  --bins --example drain
dir=${CARGO_TARGET_DIR:-target}/release
work=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
KAFKA_BROKER_LISTEN=127.0.0.1:$port PORTFOLIO_DATA_DIR=$work RUST_LOG=error "$dir/kafka-broker" >"$work/broker.log" 2>&1 &
pid=$!
cpid=
trap 'kill $pid $cpid 2>/dev/null; wait 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
export KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$port RUST_LOG=error
cat >"$work/bench.yaml" <<'YAML'
name: bench
description: Task work without descriptions (the smallest task events, about 740 bytes), no faults.
rate: {per_second: 1000}
mix: {task.created: 35, task.updated: 45, task.completed: 15, task.deleted: 5}
payload: {description_bytes: [0, 0]}
YAML
echo "kafka-data-consumer, $n task events (no descriptions) in events.tasks (3 partitions), 2 cores shared with the broker"
"$dir/kafka-data-producer" run --profile "$work/bench.yaml" --rate 200000 --count "$n" \
  --listen off --json ${PRODUCER_ARGS:-} 2>/dev/null |
  python3 -c 'import json,sys; s=json.load(sys.stdin); print("  loaded %d events (mean %.0f bytes) in %.1f s" % (s["sent"], s["mean_bytes"], s["duration_seconds"]))'

# 1. The broker alone: read every message, nothing else.
"$dir/examples/drain" "127.0.0.1:$port" events.tasks "$n"

# 2. The consumer, with and without forwarding.
consume() { # label, extra args
  local label=$1 lport
  shift
  lport=$(free_port)
  "$dir/kafka-data-consumer" run --lake "$work/lake-$label" --group "bench-$label" \
    --listen "127.0.0.1:$lport" "$@" >"$work/consumer-$label.log" 2>&1 &
  cpid=$!
  python3 - "$lport" "$n" "$label" <<'PY'
import json, sys, time, urllib.request
port, n, label = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def stats():
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=2) as r:
            return json.load(r)
    except OSError:
        return None
deadline = time.time() + 60
while (s := stats()) is None or not s.get("ready"):
    if time.time() > deadline: sys.exit("consumer never became ready")
    time.sleep(0.05)
start = time.time()
first = None
while True:
    s = stats()
    done = s["valid"] + s["dead_letters"] + s["duplicates"]
    if first is None and done > 0:
        first = time.time()
    if done >= n:
        break
    if time.time() > deadline: sys.exit(f"only {done} of {n} after 600 s")
    time.sleep(0.02)
took = time.time() - start
print("  consumer %-18s %8.0f events/s  (%d in bronze in %.2f s, %d batches)" % (label, n / took, s["valid"], took, s["batches"]))
PY
  kill "$cpid"
  wait "$cpid" 2>/dev/null || true
  cpid=
}
consume forwarding
consume no-forwarding --forward-topic off
