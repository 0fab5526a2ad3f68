# id: AWS-ELB-003
# title: Load balancers are protected from deletion
# description: Checks every `aws_lb` (Terraform, plans and AWS exports). Expected: Load balancers are protected from deletion. Set enable_deletion_protection = true.
# severity: low
# remediation: Set enable_deletion_protection = true.
# fix:   enable_deletion_protection = true
# checkov: CKV_AWS_150
# references: NIST CSF PR.IP-4
package posture.rules.aws_elb_003

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: enable_deletion_protection is not true", [r.address])} if {
	some r in lib.of("aws_lb")
	not object.get(r.config, "enable_deletion_protection", null) == true
}
