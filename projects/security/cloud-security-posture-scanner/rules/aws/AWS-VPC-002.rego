# id: AWS-VPC-002
# title: Default security groups allow no traffic
# description: Checks every `aws_default_security_group` (Terraform, plans and AWS exports). Expected: Default security groups allow no traffic. Manage the default security group with no ingress and no egress rules.
# severity: medium
# remediation: Manage the default security group with no ingress and no egress rules.
# fix: resource "aws_default_security_group" "default" {
# fix:   vpc_id = aws_vpc.this.id
# fix: }
# checkov: CKV2_AWS_12
# references: CIS AWS 5.4; NIST CSF PR.AC-5
package posture.rules.aws_vpc_002

import rego.v1

import data.posture.lib

findings contains {"id": g.id, "message": sprintf("%s allows traffic", [g.address])} if {
	some g in lib.of("aws_default_security_group")
	count(array.concat(object.get(g.config, "ingress", []), object.get(g.config, "egress", []))) > 0
}
