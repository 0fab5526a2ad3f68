#!/usr/bin/env bash
# Processes that tests start and must stop again: the broker, PostgreSQL, Redis, moto, the
# services, headless Chromium and the test binaries themselves.
#   scripts/strays.sh before   # note those already running (a `make up` in another shell)
#   scripts/strays.sh after    # fail, naming each, on any other still running
# `make test` calls both: `before` once the tools are installed, `after` as its last stage.
set -euo pipefail
cd "$(dirname "$0")/.."
target=$(realpath -m "${CARGO_TARGET_DIR:-target}")
state=$target/portfolio/processes-before.txt
names='^(kafka-broker|postgres|redis-server|task-api|kafka-data-(prod|cons)|admission-polic|posture|file-backup|chromium|chrome|headless_shell)'

# Lines "PID COMMAND ARGS" of the processes that count, this script's own family left out.
candidates() {
  local self=$$ pid comm args
  {
    ps -eo pid=,comm= | awk -v re="$names" '$2 ~ re { print $1 }'
    # Either finds nothing at times (no match, processes gone meanwhile): not an error.
    find /proc/[0-9]*/exe -maxdepth 0 -lname "$target/*" 2>/dev/null | cut -d/ -f3 || true
    grep -l moto_server /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3 || true
  } | sort -un | while read -r pid; do
    [ "$pid" = "$self" ] && continue
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || continue
    [ "$comm" = portfolio ] && continue
    args=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || continue
    [ -z "$args" ] && continue # zombies
    echo "$pid $comm ${args:0:160}"
  done
}

case ${1:-} in
  before)
    mkdir -p "$(dirname "$state")"
    candidates >"$state"
    echo "strays: $(wc -l <"$state") such process(es) running before the tests (left alone)"
    ;;
  after)
    touch "$state"
    # Give processes killed a moment ago (a few seconds) time to be reaped.
    for _ in $(seq 10); do
      left=$(candidates | while read -r pid rest; do
        grep -q "^$pid " "$state" || echo "$pid $rest"
      done)
      [ -z "$left" ] && break
      sleep 0.3
    done
    if [ -n "$left" ]; then
      echo "strays: processes started by the tests are still running:" >&2
      echo "$left" | sed 's/^/  /' >&2
      exit 1
    fi
    echo "strays: none left running by the tests"
    ;;
  *)
    echo "usage: scripts/strays.sh before|after" >&2
    exit 2
    ;;
esac
