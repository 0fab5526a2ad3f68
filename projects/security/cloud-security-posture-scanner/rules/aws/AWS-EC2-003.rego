# id: AWS-EC2-003
# title: EBS volumes are encrypted
# description: Checks every `aws_ebs_volume` (Terraform, plans and AWS exports). Expected: EBS volumes are encrypted. Set encrypted = true.
# severity: high
# remediation: Set encrypted = true.
# fix:   encrypted = true
# checkov: CKV_AWS_3
# references: CIS AWS 2.2.1; NIST CSF PR.DS-1
package posture.rules.aws_ec2_003

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: encrypted is not true", [r.address])} if {
	some r in lib.of("aws_ebs_volume")
	not object.get(r.config, "encrypted", null) == true
}
