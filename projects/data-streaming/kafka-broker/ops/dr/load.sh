#!/usr/bin/env bash
# DR drill load (`[dr] load`): 300 events of the `steady` profile through the real producer into
# the running broker (KAFKA_BOOTSTRAP_SERVERS); the producer waits for every acknowledgement,
# then the topic must hold them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
n=300
messages() { bash "$here/count.sh" | python3 -c 'import json,sys; print(json.load(sys.stdin)["messages"])'; }
before=$(messages)
"${PORTFOLIO_BIN_DIR:?the drill sets it}/kafka-data-producer" run --profile steady \
  --count "$n" --rate 1000 --listen off >/dev/null
now=$(messages)
if [ "$now" -lt $((before + n)) ]; then
  echo "the topic holds $((now - before)) of the $n events just sent" >&2
  exit 1
fi
