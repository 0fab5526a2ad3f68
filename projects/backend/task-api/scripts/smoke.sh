#!/usr/bin/env bash
# Synthetic user journey against a running task API (the `verify` stage of a deployment):
# sign up, create a project and a task, read the task back, complete it, check the analytics.
# Target: TASK_API_ADDR (default 127.0.0.1:8000).
set -euo pipefail
base="http://${TASK_API_ADDR:-127.0.0.1:8000}/v1"
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
call() { # METHOD PATH [BODY]
  local args=(-sS -f -X "$1" "$base$2" -H 'content-type: application/json')
  [ -n "${token:-}" ] && args+=(-H "authorization: Bearer $token")
  [ $# -ge 3 ] && args+=(-d "$3")
  curl "${args[@]}"
}
email="smoke-$(date +%s%N)@example.org"
token=$(call POST /auth/register "{\"email\":\"$email\",\"password\":\"smoke test password\"}" | json '["access_token"]')
project=$(call POST /projects '{"name":"smoke"}' | json '["id"]')
task=$(call POST "/projects/$project/tasks" '{"title":"smoke task","priority":"high"}' | json '["id"]')
[ "$(call GET "/tasks/$task" | json '["title"]')" = "smoke task" ]
call PATCH "/tasks/$task" '{"status":"done"}' >/dev/null
rate=$(call GET "/projects/$project/analytics" | json '["completion_rate"]')
[ "$rate" = "1.0" ] || { echo "completion rate $rate, expected 1.0" >&2; exit 1; }
call DELETE "/projects/$project" >/dev/null
echo "smoke journey passed against $base"
