#!/usr/bin/env bash
# DR drill count (`[dr] count`): the drill user's projects, tasks and done tasks, as JSON,
# read through the API. Target: TASK_API_ADDR (default 127.0.0.1:8000).
set -euo pipefail
export BASE="http://${TASK_API_ADDR:-127.0.0.1:8000}/v1" USER_FILE="${DR_WORK:?the drill sets DR_WORK}/user.json"
exec python3 - <<'PY'
import json, os, urllib.request

base = os.environ["BASE"]

def call(method, path, body=None, token=None):
    req = urllib.request.Request(base + path, method=method,
                                 data=None if body is None else body.encode(),
                                 headers={"content-type": "application/json"})
    if token:
        req.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)

token = call("POST", "/auth/login", open(os.environ["USER_FILE"]).read())["access_token"]
listed = call("GET", "/projects", token=token)
projects = listed["items"] if isinstance(listed, dict) else listed
stats = [call("GET", f"/projects/{p['id']}/analytics", token=token) for p in projects]
print(json.dumps({
    "projects": len(projects),
    "tasks": sum(s["total"] for s in stats),
    "done": sum(s["by_status"].get("done", 0) for s in stats),
}))
PY
