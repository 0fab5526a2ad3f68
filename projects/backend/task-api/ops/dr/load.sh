#!/usr/bin/env bash
# DR drill load (`[dr] load`): through the running API, the drill user (created once, its
# password kept in $DR_WORK) gets a new project with 25 tasks, some completed.
# Target: TASK_API_ADDR (default 127.0.0.1:8000).
set -euo pipefail
base="http://${TASK_API_ADDR:-127.0.0.1:8000}/v1"
work=${DR_WORK:?the drill sets DR_WORK}
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
call() { # METHOD PATH [BODY]
  local args=(-sS -f -X "$1" "$base$2" -H 'content-type: application/json')
  [ -n "${token:-}" ] && args+=(-H "authorization: Bearer $token")
  [ $# -ge 3 ] && args+=(-d "$3")
  curl "${args[@]}"
}
if [ -f "$work/user.json" ]; then
  token=$(call POST /auth/login "$(cat "$work/user.json")" | json '["access_token"]')
else
  user="{\"email\":\"dr-drill-$(date +%s%N)@example.org\",\"password\":\"drill password $RANDOM$RANDOM\"}"
  echo "$user" >"$work/user.json"
  token=$(call POST /auth/register "$user" | json '["access_token"]')
fi
project=$(call POST /projects "{\"name\":\"drill $(date +%H:%M:%S.%N)\"}" | json '["id"]')
for i in $(seq 1 25); do
  task=$(call POST "/projects/$project/tasks" "{\"title\":\"drill task $i\",\"priority\":\"medium\"}" | json '["id"]')
  if [ $((i % 5)) -eq 0 ]; then
    call PATCH "/tasks/$task" '{"status":"done"}' >/dev/null
  fi
done
