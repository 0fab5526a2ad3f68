# id: DOCKER-003
# title: Files are added with COPY, not ADD
# description: Checks every Dockerfile (instructions). Expected: Files are added with COPY, not ADD. Use COPY for local files; download with curl and verify a checksum instead of ADD URL.
# severity: medium
# remediation: Use COPY for local files; download with curl and verify a checksum instead of ADD URL.
# fix: COPY ./app /app
# checkov: CKV_DOCKER_4
# references: CIS Docker 4.9; NIST CSF PR.DS-6
package posture.rules.docker_003

import rego.v1

import data.posture.lib

findings contains {"id": d.id, "message": sprintf("%s:%v: ADD %s", [d.address, i.line, i.value])} if {
	some d in object.get(input.resources, "dockerfile", [])
	some i in d.config.instructions
	i.cmd == "ADD"
}
