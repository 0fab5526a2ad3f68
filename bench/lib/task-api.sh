# Shared by the task API's benchmarks (`bench/task-api.sh`, `bench/http-ceiling.sh`); source it.

# Installs Debian's wrk when it is missing.
ensure_wrk() {
  command -v wrk >/dev/null && return 0
  local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  DEBIAN_FRONTEND=noninteractive $sudo apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q wrk >/dev/null
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
