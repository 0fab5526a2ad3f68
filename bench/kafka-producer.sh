#!/usr/bin/env bash
# Producer throughput into the local broker: release builds, a fresh broker data folder, the
# producer asked for far more than the broker takes (so the figure is the sustained maximum),
# the smallest events the task domain makes (no descriptions, about 740 bytes). Prints the producer's summary (achieved rate, p50/p99 produce
# latency, mean size, whether the broker fell behind) and, for comparison, the broker alone.
#   bash bench/kafka-producer.sh [SECONDS] [TARGET_PER_SECOND]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-20}
rate=${2:-150000}
cargo build -q --locked --release -p kafka-broker -p kafka-data-producer
dir=${CARGO_TARGET_DIR:-target}/release
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
KAFKA_BROKER_LISTEN=127.0.0.1:$port PORTFOLIO_DATA_DIR=$work RUST_LOG=error "$dir/kafka-broker" >"$work/broker.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
cat >"$work/bench.yaml" <<'YAML'
name: bench
description: Task work without descriptions (the smallest task events, about 740 bytes), no faults.
rate: {per_second: 1000}
mix: {task.created: 35, task.updated: 45, task.completed: 15, task.deleted: 5}
payload: {description_bytes: [0, 0]}
YAML
report() {
  python3 -c '
import json, sys
s = json.load(sys.stdin)
lat = s["latency_ms"]
print("  enqueued   %10.0f events/s, delivered %10.0f events/s (%d sent, %d failed, mean %.0f bytes)" % (s["achieved_per_second"], s["sent"] / s["duration_seconds"], s["sent"], s["failed"], s["mean_bytes"]))
print("  latency    p50 %.1f ms, p99 %.1f ms, max %.1f ms" % (lat["p50"], lat["p99"], lat["max"]))
print("  fell behind: %s (max backlog %d)" % (s["fell_behind"], s["max_backlog"]))
print(int(s["sent"] / s["duration_seconds"]), file=open(sys.argv[1], "w"))
' "$work/delivered"
}
run() {
  KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$port RUST_LOG=error "$dir/kafka-data-producer" run \
    --profile "$work/bench.yaml" --rate "$1" --duration "$secs" --listen off --json ${PRODUCER_ARGS:-} 2>/dev/null | report
}
echo "1. saturation: target $rate events/s for $secs s into the local broker (2 cores, shared with the broker)"
run "$rate"
half=$(( $(cat "$work/delivered") / 2 ))
echo "2. latency at half the delivered rate: $half events/s for $secs s"
run "$half"
