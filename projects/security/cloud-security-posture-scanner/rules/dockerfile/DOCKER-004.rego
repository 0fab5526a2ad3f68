# id: DOCKER-004
# title: No secrets in ENV or ARG
# description: Checks every Dockerfile (instructions). Expected: No secrets in ENV or ARG. Pass secrets at build time with RUN --mount=type=secret, and at run time from the platform's secret store.
# severity: high
# remediation: Pass secrets at build time with RUN --mount=type=secret, and at run time from the platform's secret store.
# fix: RUN --mount=type=secret,id=npm_token npm ci
# references: CIS Docker 4.10; NIST CSF PR.AC-1
package posture.rules.docker_004

import rego.v1

import data.posture.lib

secretish := ["PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY", "PRIVATE_KEY", "ACCESS_KEY"]

findings contains {"id": d.id, "message": sprintf("%s:%v: %s %s looks like a secret", [d.address, i.line, i.cmd, name])} if {
	some d in object.get(input.resources, "dockerfile", [])
	some i in d.config.instructions
	i.cmd in {"ENV", "ARG"}
	name := split(split(i.value, "=")[0], " ")[0]
	some s in secretish
	contains(upper(name), s)
	contains(i.value, "=")
}
