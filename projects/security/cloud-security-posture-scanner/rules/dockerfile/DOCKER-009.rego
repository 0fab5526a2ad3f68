# id: DOCKER-009
# title: SSH is not exposed
# description: Checks every Dockerfile (instructions). Expected: SSH is not exposed. Do not run an SSH server in a container; use kubectl exec or SSM.
# severity: medium
# remediation: Do not run an SSH server in a container; use kubectl exec or SSM.
# fix: EXPOSE 8080
# checkov: CKV_DOCKER_1
# references: NIST CSF PR.AC-5
package posture.rules.docker_009

import rego.v1

import data.posture.lib

findings contains {"id": d.id, "message": sprintf("%s:%v: exposes port 22", [d.address, i.line])} if {
    	some d in object.get(input.resources, "dockerfile", [])
    	some i in d.config.instructions
    	i.cmd == "EXPOSE"
	some p in split(i.value, " ")
	split(p, "/")[0] == "22"
    }
