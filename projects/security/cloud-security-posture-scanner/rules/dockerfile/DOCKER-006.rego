# id: DOCKER-006
# title: apt-get update runs with the install
# description: Checks every Dockerfile (instructions). Expected: apt-get update runs with the install. Update and install in one RUN (a cached update serves stale indexes).
# severity: low
# remediation: Update and install in one RUN (a cached update serves stale indexes).
# fix: RUN apt-get update && apt-get install -y --no-install-recommends curl
# checkov: CKV_DOCKER_5
# references: CIS Docker 4.7; NIST CSF PR.IP-1
package posture.rules.docker_006

import rego.v1

import data.posture.lib

findings contains {"id": d.id, "message": sprintf("%s:%v: apt-get update in its own layer", [d.address, i.line])} if {
    	some d in object.get(input.resources, "dockerfile", [])
    	some i in d.config.instructions
    	i.cmd == "RUN"
	contains(i.value, "apt-get update")
	not contains(i.value, "install")
    }
