# id: AWS-SG-004
# title: Security group rules are described
# description: Checks every `aws_security_group` (Terraform, plans and AWS exports). Expected: Security group rules are described. Give every ingress rule a description saying why it exists.
# severity: low
# remediation: Give every ingress rule a description saying why it exists.
# fix:     description = "HTTPS from the load balancer"
# checkov: CKV_AWS_23
# references: NIST CSF ID.AM-3
package posture.rules.aws_sg_004

import rego.v1

import data.posture.lib

findings contains {"id": g.id, "message": sprintf("%s has an ingress rule (port %v) without a description", [g.address, object.get(rule, "from_port", "?")])} if {
	some g in lib.of("aws_security_group")
	some rule in object.get(g.config, "ingress", [])
	not rule.description
}
