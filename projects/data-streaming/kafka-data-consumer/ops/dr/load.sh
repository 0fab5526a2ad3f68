#!/usr/bin/env bash
# DR drill load (`[dr] load`): 300 events of the `steady` profile through the real producer into
# the running broker, then waits (up to 3 minutes) until the consumer has them in bronze.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
n=300
before=$(bash "$here/count.sh" | python3 -c 'import json,sys; print(json.load(sys.stdin)["bronze_events"])')
"${PORTFOLIO_BIN_DIR:?the drill sets it}/kafka-data-producer" run --profile steady \
  --count "$n" --rate 1000 --listen off >/dev/null
for _ in $(seq 90); do
  now=$(bash "$here/count.sh" | python3 -c 'import json,sys; print(json.load(sys.stdin)["bronze_events"])')
  [ "$now" -ge $((before + n)) ] && exit 0
  sleep 2
done
echo "the consumer landed $((now - before)) of $n events in 3 minutes" >&2
exit 1
