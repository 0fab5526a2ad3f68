#!/usr/bin/env bash
# CI's time budget on this machine (issue #18's targets: cold make test <= 40 min, warm <= 12
# min, make up to a working app <= 15 min):
#   cold  `make test` in a fresh clone of HEAD with an empty target directory (the tools that
#         `portfolio bootstrap --install` installs, the Cargo registry and the PyPI/npm caches
#         outside the clone are already on the machine);
#   warm  `make test` again in the same clone (nothing changed: what a second CI run costs);
#   up    `make up` in another fresh clone with an empty target directory, until the app on
#         http://127.0.0.1:8080 serves its page and the API answers through it; then `make down`.
# Prints each figure, the slowest stages of the cold and warm runs, and keeps the logs.
#   bash bench/ci-time.sh [cold|warm|up|all]     (default all; warm runs after cold)
# Needs ports 8000, 8080, 9092 free for `up` (no `make up` of its own running).
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
work=${BENCH_DIR:-$(mktemp -d /tmp/ci-time.XXXXXX)}
mkdir -p "$work"
echo "ci-time: clones, target directories and logs in $work"
unset CARGO_TARGET_DIR
export CARGO_INCREMENTAL=0
head=$(git rev-parse HEAD)

clone() { rm -rf "$1" && git clone -q --no-hardlinks "$PWD" "$1" && git -C "$1" checkout -q --detach "$head"; }
now() { date +%s; }
minutes() { awk -v s="$1" 'BEGIN { printf "%d min %02d s", s / 60, s % 60 }'; }
stages() { # the stage table of the run in clone $1
  (cd "$1" && CARGO_TARGET_DIR=$2 cargo run -q --locked -p portfolio -- time report 2>/dev/null) | sed 's/^/    /'
}

run_test() { # NAME: make test in $work/test, target $work/test-target
  local name=$1 t0 t1 rc=0
  echo "ci-time: $name make test ..."
  t0=$(now)
  (cd "$work/test" && CARGO_TARGET_DIR=$work/test-target make test >"$work/$name.log" 2>&1) || rc=$?
  t1=$(now)
  echo "ci-time: $name make test: $(minutes $((t1 - t0))) (exit $rc; log $work/$name.log)"
  stages "$work/test" "$work/test-target"
  echo "$name $((t1 - t0)) $rc" >>"$work/figures.txt"
}

if [ "$what" = cold ] || [ "$what" = all ]; then
  clone "$work/test"
  rm -rf "$work/test-target"
  run_test cold
fi
if [ "$what" = warm ] || [ "$what" = all ]; then
  [ -d "$work/test" ] || { echo "ci-time: warm needs a cold run first (BENCH_DIR=$work)" >&2; exit 2; }
  run_test warm
fi
if [ "$what" = up ] || [ "$what" = all ]; then
  clone "$work/up"
  rm -rf "$work/up-target"
  echo "ci-time: make up on a fresh clone ..."
  t0=$(now)
  rc=0
  (cd "$work/up" && CARGO_TARGET_DIR=$work/up-target make up >"$work/up.log" 2>&1) || rc=$?
  ok=no
  if [ $rc = 0 ]; then
    for _ in $(seq 120); do
      if curl -sf http://127.0.0.1:8080/ | grep -q '<div id="root"' &&
        curl -sf http://127.0.0.1:8080/v1/flags >/dev/null; then
        ok=yes
        break
      fi
      sleep 1
    done
  fi
  t1=$(now)
  (cd "$work/up" && CARGO_TARGET_DIR=$work/up-target make down >>"$work/up.log" 2>&1) || true
  echo "ci-time: make up to a working app: $(minutes $((t1 - t0))) (exit $rc, app answered: $ok; log $work/up.log)"
  echo "up $((t1 - t0)) $rc $ok" >>"$work/figures.txt"
fi
echo "ci-time: figures (name, seconds, exit[, app]):"
sed 's/^/    /' "$work/figures.txt"
