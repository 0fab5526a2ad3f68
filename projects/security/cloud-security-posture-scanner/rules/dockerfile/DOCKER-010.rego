# id: DOCKER-010
# title: Base images do not use the latest tag
# description: Checks every Dockerfile (instructions). Expected: Base images do not use the latest tag. Pin the base image by digest.
# severity: medium
# remediation: Pin the base image by digest.
# fix: FROM debian:12@sha256:…
# checkov: CKV_DOCKER_7
# references: CIS Docker 4.2; NIST CSF PR.DS-6
package posture.rules.docker_010

import rego.v1

import data.posture.lib

findings contains {"id": d.id, "message": sprintf("%s:%v: FROM uses the latest tag", [d.address, i.line])} if {
    	some d in object.get(input.resources, "dockerfile", [])
    	some i in d.config.instructions
    	i.cmd == "FROM"
	endswith(split(i.value, " ")[0], ":latest")
    }
