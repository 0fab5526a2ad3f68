# id: AWS-EC2-006
# title: EC2 instances have detailed monitoring
# description: Checks every `aws_instance` (Terraform, plans and AWS exports). Expected: EC2 instances have detailed monitoring. Set monitoring = true.
# severity: low
# remediation: Set monitoring = true.
# fix:   monitoring = true
# checkov: CKV_AWS_126
# references: NIST CSF DE.CM-1
package posture.rules.aws_ec2_006

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: monitoring is not true", [r.address])} if {
	some r in lib.of("aws_instance")
	not object.get(r.config, "monitoring", null) == true
}
