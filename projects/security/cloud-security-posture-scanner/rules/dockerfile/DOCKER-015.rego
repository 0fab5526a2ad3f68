# id: DOCKER-015
# title: Each stage has at most one ENTRYPOINT and one CMD
# description: Checks every Dockerfile (instructions). Expected: Each stage has at most one ENTRYPOINT and one CMD. Keep one ENTRYPOINT and one CMD per stage: only the last one counts.
# severity: low
# remediation: Keep one ENTRYPOINT and one CMD per stage: only the last one counts.
# fix: ENTRYPOINT ["/app/server"]
# references: NIST CSF PR.IP-1
package posture.rules.docker_015

import rego.v1

import data.posture.lib

findings contains {"id": d.id, "message": sprintf("%s: stage %v has %v %s instructions", [d.address, stage, n, cmd])} if {
	some d in object.get(input.resources, "dockerfile", [])
	some cmd in ["ENTRYPOINT", "CMD"]
	some stage in numbers.range(0, d.config.stages - 1)
	n := count([i | some i in d.config.instructions; i.cmd == cmd; i.stage == stage])
	n > 1
}
