# id: AWS-EC2-008
# title: EC2 instances are EBS-optimised
# description: Checks every `aws_instance` (Terraform, plans and AWS exports). Expected: EC2 instances are EBS-optimised. Set ebs_optimized = true.
# severity: low
# remediation: Set ebs_optimized = true.
# fix:   ebs_optimized = true
# checkov: CKV_AWS_135
# references: NIST CSF PR.DS-4
package posture.rules.aws_ec2_008

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: ebs_optimized is not true", [r.address])} if {
	some r in lib.of("aws_instance")
	not object.get(r.config, "ebs_optimized", null) == true
}
