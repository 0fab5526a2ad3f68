# id: DOCKER-005
# title: apt-get install skips recommended packages
# description: Checks every Dockerfile (instructions). Expected: apt-get install skips recommended packages. Add --no-install-recommends.
# severity: low
# remediation: Add --no-install-recommends.
# fix: RUN apt-get install -y --no-install-recommends curl
# references: CIS Docker 4.3; NIST CSF PR.IP-1
package posture.rules.docker_005

import rego.v1

import data.posture.lib

findings contains {"id": d.id, "message": sprintf("%s:%v: apt-get install pulls recommended packages", [d.address, i.line])} if {
    	some d in object.get(input.resources, "dockerfile", [])
    	some i in d.config.instructions
    	i.cmd == "RUN"
	contains(i.value, "apt-get install")
	not contains(i.value, "--no-install-recommends")
    }
