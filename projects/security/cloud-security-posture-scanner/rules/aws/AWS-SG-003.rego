# id: AWS-SG-003
# title: Security groups open only web ports to the internet
# description: Checks the scanned resources (Terraform, plans and AWS exports). Expected: Security groups open only web ports to the internet. Limit internet ingress to 80/443 on load balancers; other ports from known ranges.
# severity: high
# remediation: Limit internet ingress to 80/443 on load balancers; other ports from known ranges.
# fix:     from_port   = 443
# fix:     to_port     = 443
# references: CIS AWS 5.2; NIST CSF PR.AC-5
package posture.rules.aws_sg_003

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s allows ports %v-%v from %s", [r.address, from, to, cidr])} if {
	some [r, from, to, cidr] in lib.open_ingress
	not web_only(from, to)
}

web_only(from, to) if {
	from == to
	from in {80, 443}
}
