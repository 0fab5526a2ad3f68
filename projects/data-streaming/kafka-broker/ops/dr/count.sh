#!/usr/bin/env bash
# DR drill count (`[dr] count`): the messages of events.tasks in the running broker (the sum of
# each partition's high minus low watermark, asked over the Kafka protocol), as JSON.
set -euo pipefail
"${PORTFOLIO_BIN_DIR:?the drill sets it}/kafka-data-producer" offsets --json |
  python3 -c 'import json,sys; print(json.dumps({"messages": json.load(sys.stdin)["messages"]}))'
