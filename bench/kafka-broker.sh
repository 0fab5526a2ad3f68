#!/usr/bin/env bash
# Throughput of the local broker: a release build on a fresh data folder, measured with the
# rdkafka example `throughput` (produce then consume N messages of 200 bytes) on the same
# 2-core machine.
#   bash bench/kafka-broker.sh [MESSAGES]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20000}
cargo build -q --locked --release -p kafka-broker --example throughput --bin kafka-broker
dir=${CARGO_TARGET_DIR:-target}/release
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
KAFKA_BROKER_LISTEN=127.0.0.1:$port PORTFOLIO_DATA_DIR=$work RUST_LOG=error "$dir/kafka-broker" >"$work/broker.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
"$dir/examples/throughput" "127.0.0.1:$port" "$n"
