"""The policies' decisions by a second Rego engine (regopy: rego-cpp), for tests/policies.rs.

    tools/regopy.sh tests/crosscheck.py POLICY_DIR CASES.json

CASES.json: [{"input": {...}, "policies": [[id, package], ...]}]. Prints, per case, an object
policy id -> sorted list of violation messages.
"""
import json
import os
import sys

import regopy

policy_dir, cases_path = sys.argv[1], sys.argv[2]
modules = []
for root, _, files in os.walk(policy_dir):
    for f in sorted(files):
        if f.endswith(".rego"):
            path = os.path.join(root, f)
            with open(path) as fh:
                modules.append((path, fh.read()))
with open(cases_path) as fh:
    cases = json.load(fh)
out = []
for case in cases:
    interp = regopy.Interpreter()
    for path, source in modules:
        interp.add_module(path, source)
    interp.set_input(case["input"])
    answer = {}
    for policy_id, package in case["policies"]:
        result = interp.query(f"data.{package}.violation")
        if not result.ok():
            sys.exit(f"{policy_id}: {result}")
        values = json.loads(str(result))["expressions"][0]
        answer[policy_id] = sorted(v["msg"] for v in values)
    out.append(answer)
print(json.dumps(out))
