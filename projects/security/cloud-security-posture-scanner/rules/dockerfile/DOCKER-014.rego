# id: DOCKER-014
# title: Downloads check TLS certificates
# description: Checks every Dockerfile (instructions). Expected: Downloads check TLS certificates. Remove --insecure / -k / --no-check-certificate; trust the right CA instead.
# severity: high
# remediation: Remove --insecure / -k / --no-check-certificate; trust the right CA instead.
# fix: RUN curl -fsSLO https://example.com/tool.tgz
# references: NIST CSF PR.DS-2
package posture.rules.docker_014

import rego.v1

import data.posture.lib

findings contains {"id": d.id, "message": sprintf("%s:%v: disables TLS certificate checks", [d.address, i.line])} if {
    	some d in object.get(input.resources, "dockerfile", [])
    	some i in d.config.instructions
    	i.cmd == "RUN"
	some flag in [" -k ", " --insecure", "--no-check-certificate", "GIT_SSL_NO_VERIFY", "PIP_TRUSTED_HOST"]
	contains(concat("", [i.value, " "]), flag)
    }
