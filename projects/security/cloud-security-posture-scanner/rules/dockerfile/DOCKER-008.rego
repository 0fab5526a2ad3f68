# id: DOCKER-008
# title: sudo is not used
# description: Checks every Dockerfile (instructions). Expected: sudo is not used. Run the step as root in the build, then switch with USER.
# severity: medium
# remediation: Run the step as root in the build, then switch with USER.
# fix: USER 65532:65532
# references: CIS Docker 4.1; NIST CSF PR.AC-4
package posture.rules.docker_008

import rego.v1

import data.posture.lib

findings contains {"id": d.id, "message": sprintf("%s:%v: uses sudo", [d.address, i.line])} if {
    	some d in object.get(input.resources, "dockerfile", [])
    	some i in d.config.instructions
    	i.cmd == "RUN"
	contains(concat("", [" ", i.value, " "]), " sudo ")
    }
