#!/usr/bin/env bash
# Benchmarks of the portfolio CLI (issue #2's targets):
#   1. `validate` + `graph` on a generated catalog of 5,000 projects and 20,000 edges: < 1 s
#   2. `portfolio validate` on this repository: < 100 ms
# Prints the best and median of N runs (wall clock) of the release binary. Usage:
#   bash bench/catalog.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-7}
cargo build -q --locked --release -p portfolio --bin portfolio --example gen_catalog
target=${CARGO_TARGET_DIR:-target}
bin=$target/release/portfolio
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$target/release/examples/gen_catalog" "$work" 5000 20000

# time_ms CMD...: runs CMD $runs times, prints "best median" in milliseconds.
time_ms() {
  local samples=()
  for _ in $(seq "$runs"); do
    local t0 t1
    t0=$(date +%s%N)
    "$@" > /dev/null 2>&1 || { echo "command failed: $*" >&2; exit 1; }
    t1=$(date +%s%N)
    samples+=($(( (t1 - t0) / 1000000 )))
  done
  printf '%s\n' "${samples[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%d %d\n", a[1], a[int((NR+1)/2)]}'
}

both() { "$bin" --root "$work" validate && "$bin" --root "$work" graph --format json; }
read -r v_best v_med < <(time_ms "$bin" --root "$work" validate)
read -r g_best g_med < <(time_ms "$bin" --root "$work" graph --format json)
read -r b_best b_med < <(time_ms both)
read -r r_best r_med < <(time_ms "$bin" validate)
echo "portfolio benchmarks ($runs runs each, $(nproc) cores; best / median wall clock)"
echo "  5,000 projects / 20,000 edges: validate            ${v_best} / ${v_med} ms"
echo "  5,000 projects / 20,000 edges: graph --format json ${g_best} / ${g_med} ms"
echo "  5,000 projects / 20,000 edges: validate + graph    ${b_best} / ${b_med} ms   (target < 1000 ms)"
echo "  this repository: validate                          ${r_best} / ${r_med} ms   (target < 100 ms)"
