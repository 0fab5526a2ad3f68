# id: AWS-EC2-007
# title: EBS encryption by default is on
# description: Checks every `aws_ebs_encryption_by_default` (Terraform, plans and AWS exports). Expected: EBS encryption by default is on. Set enabled = true.
# severity: medium
# remediation: Set enabled = true.
# fix:   enabled = true
# references: CIS AWS 2.2.1; NIST CSF PR.DS-1
package posture.rules.aws_ec2_007

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: enabled is not true", [r.address])} if {
	some r in lib.of("aws_ebs_encryption_by_default")
	not object.get(r.config, "enabled", null) == true
}
