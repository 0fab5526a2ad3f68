# Shared by the task API's benchmarks (`bench/task-api.sh`, `bench/http-ceiling.sh`); source it.

# Installs Debian's wrk when it is missing.
ensure_wrk() {
  command -v wrk >/dev/null && return 0
  local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  DEBIAN_FRONTEND=noninteractive $sudo apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q wrk >/dev/null
}

# wait_up URL — until URL answers 2xx (10 s), else a message and exit 1.
wait_up() {
  for _ in $(seq 100); do curl -sf "$1" >/dev/null && return 0; sleep 0.1; done
  echo "not up: $1" >&2
  exit 1
}

# start_task_api BIN PORT DIR [VAR=VALUE …] — the task API on 127.0.0.1:PORT with its data and
# log (DIR/api.log) in DIR, as the benchmarks run it: relay off (no broker), rate limits off
# (one client IP would be throttled at 500 requests/s), logs at `error`; the extra variables
# (DATABASE_URL, REDIS_URL) go to its environment. Sets `api_pid`; returns once it is ready.
start_task_api() {
  local bin=$1 port=$2 dir=$3
  shift 3
  env "$@" PORTFOLIO_DATA_DIR="$dir" KAFKA_BOOTSTRAP_SERVERS= JWT_SECRET=bench-secret-bench-secret-bench-secret \
    TASK_API_RATE_LIMIT_PER_IP=0 TASK_API_RATE_LIMIT_PER_USER=0 TASK_API_ADDR="127.0.0.1:$port" RUST_LOG=error \
    "$bin" >"$dir/api.log" 2>&1 &
  api_pid=$!
  wait_up "http://127.0.0.1:$port/readyz"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# fixture BASE DIR — registers a user, creates a project and a task under BASE (…/v1); sets
# `token`, `project` and `task`, and writes DIR/post.lua (wrk: create a task as that user).
fixture() {
  local base=$1 dir=$2
  local field='import json,sys; print(json.load(sys.stdin)[sys.argv[1]])'
  token=$(curl -sf -XPOST "$base/auth/register" -H 'content-type: application/json' \
    -d '{"email":"bench@example.org","password":"correct horse battery"}' | python3 -c "$field" access_token)
  project=$(curl -sf -XPOST "$base/projects" -H "authorization: Bearer $token" -H 'content-type: application/json' \
    -d '{"name":"bench"}' | python3 -c "$field" id)
  task=$(curl -sf -XPOST "$base/projects/$project/tasks" -H "authorization: Bearer $token" -H 'content-type: application/json' \
    -d '{"title":"read me"}' | python3 -c "$field" id)
  cat >"$dir/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.headers["authorization"] = "Bearer $token"
wrk.body = '{"title":"load test task","priority":"high","labels":["bench"]}'
LUA
}
