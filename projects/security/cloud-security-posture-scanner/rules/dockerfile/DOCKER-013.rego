# id: DOCKER-013
# title: WORKDIR paths are absolute
# description: Checks every Dockerfile (instructions). Expected: WORKDIR paths are absolute. Use an absolute WORKDIR (e.g. /app).
# severity: low
# remediation: Use an absolute WORKDIR (e.g. /app).
# fix: WORKDIR /app
# checkov: CKV_DOCKER_10
# references: NIST CSF PR.IP-1
package posture.rules.docker_013

import rego.v1

import data.posture.lib

findings contains {"id": d.id, "message": sprintf("%s:%v: WORKDIR is relative", [d.address, i.line])} if {
    	some d in object.get(input.resources, "dockerfile", [])
    	some i in d.config.instructions
    	i.cmd == "WORKDIR"
	not startswith(i.value, "/")
	not startswith(i.value, "$")
    }
