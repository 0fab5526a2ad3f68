# id: DOCKER-007
# title: No remote scripts are piped into a shell
# description: Checks every Dockerfile (instructions). Expected: No remote scripts are piped into a shell. Download, verify a checksum or signature, then run.
# severity: high
# remediation: Download, verify a checksum or signature, then run.
# fix: RUN curl -fsSLo tool.sh https://example.com/tool.sh && sha256sum -c tool.sh.sha256 && sh tool.sh
# references: NIST CSF PR.DS-6
package posture.rules.docker_007

import rego.v1

import data.posture.lib

findings contains {"id": d.id, "message": sprintf("%s:%v: a download is piped into a shell", [d.address, i.line])} if {
    	some d in object.get(input.resources, "dockerfile", [])
    	some i in d.config.instructions
    	i.cmd == "RUN"
	regex_free_pipe(i.value)
    }

regex_free_pipe(v) if {
	some fetch in ["curl ", "wget "]
	contains(v, fetch)
	some shell in ["| sh", "| bash", "|sh", "|bash"]
	contains(v, shell)
}
