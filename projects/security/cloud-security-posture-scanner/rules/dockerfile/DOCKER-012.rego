# id: DOCKER-012
# title: pip does not keep its cache in the image
# description: Checks every Dockerfile (instructions). Expected: pip does not keep its cache in the image. Add --no-cache-dir to pip install.
# severity: low
# remediation: Add --no-cache-dir to pip install.
# fix: RUN pip install --no-cache-dir -r requirements.txt
# references: NIST CSF PR.IP-1
package posture.rules.docker_012

import rego.v1

import data.posture.lib

findings contains {"id": d.id, "message": sprintf("%s:%v: pip install keeps its cache", [d.address, i.line])} if {
    	some d in object.get(input.resources, "dockerfile", [])
    	some i in d.config.instructions
    	i.cmd == "RUN"
	contains(i.value, "pip install")
	not contains(i.value, "--no-cache-dir")
    }
