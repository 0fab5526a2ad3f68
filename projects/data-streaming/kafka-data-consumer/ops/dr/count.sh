#!/usr/bin/env bash
# DR drill count (`[dr] count`): the lake's bronze events (append-only), read by the second
# engine (tools/read-lake.sh), as JSON. The lake: LAKE_URL, else <PORTFOLIO_ROOT>/.portfolio/data/lake.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
lake=${LAKE_URL:-${PORTFOLIO_ROOT:?}/.portfolio/data/lake}
case $lake in /*) ;; *) lake=$PORTFOLIO_ROOT/$lake ;; esac
bash "$here/tools/read-lake.sh" "$lake" | python3 -c '
import json, sys
r = json.load(sys.stdin)
print(json.dumps({"bronze_events": r["bronze"]["unique_event_ids"]}))'
