# id: DOCKER-011
# title: No world-writable permissions
# description: Checks every Dockerfile (instructions). Expected: No world-writable permissions. Give the files their owner (COPY --chown) and 0644/0755 modes.
# severity: medium
# remediation: Give the files their owner (COPY --chown) and 0644/0755 modes.
# fix: COPY --chown=65532:65532 app /app
# references: NIST CSF PR.AC-4
package posture.rules.docker_011

import rego.v1

import data.posture.lib

findings contains {"id": d.id, "message": sprintf("%s:%v: makes files world-writable", [d.address, i.line])} if {
    	some d in object.get(input.resources, "dockerfile", [])
    	some i in d.config.instructions
    	i.cmd == "RUN"
	contains(i.value, "chmod")
	some m in ["777", "a+w", "o+w", "666"]
	contains(i.value, m)
    }
