# id: DOCKER-001
# title: The final stage runs as a non-root user
# description: Checks every Dockerfile (instructions). Expected: The final stage runs as a non-root user. Add USER with a non-root uid (e.g. USER 65532:65532) to the final stage.
# severity: high
# remediation: Add USER with a non-root uid (e.g. USER 65532:65532) to the final stage.
# fix: USER 65532:65532
# checkov: CKV_DOCKER_3
# references: CIS Docker 4.1; NIST CSF PR.AC-4
package posture.rules.docker_001

import rego.v1

import data.posture.lib

findings contains {"id": d.id, "message": sprintf("%s: target stage %s runs as root", [d.address, name])} if {
	some d in object.get(input.resources, "dockerfile", [])
	some t in d.config.targets
	root(t.user)
	name := stage_name(t)
}

stage_name(t) := t.name if t.name != ""

stage_name(t) := sprintf("#%v", [t.stage]) if t.name == ""

root(user) if user == null

root(user) if {
	is_string(user)
	split(user, ":")[0] in {"root", "0"}
}
