# id: DOCKER-002
# title: Base images are pinned by digest
# description: Checks every Dockerfile (instructions). Expected: Base images are pinned by digest. Pin FROM images by digest: FROM image@sha256:….
# severity: medium
# remediation: Pin FROM images by digest: FROM image@sha256:….
# fix: FROM gcr.io/distroless/cc-debian12@sha256:…
# references: CIS Docker 4.2; NIST CSF PR.DS-6
package posture.rules.docker_002

import rego.v1

import data.posture.lib

findings contains {"id": d.id, "message": sprintf("%s:%v: FROM %s is not pinned by digest", [d.address, i.line, image])} if {
	some d in object.get(input.resources, "dockerfile", [])
	stages := {lower(s) | some x in d.config.instructions; x.cmd == "FROM"; parts := split(x.value, " "); count(parts) >= 3; s := parts[count(parts) - 1]}
	some i in d.config.instructions
	i.cmd == "FROM"
	image := [w | some w in split(i.value, " "); not startswith(w, "--")][0]
	not contains(image, "@sha256:")
	image != "scratch"
	not lower(image) in stages
}
