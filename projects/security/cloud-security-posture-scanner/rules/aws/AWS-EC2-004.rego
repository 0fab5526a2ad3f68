# id: AWS-EC2-004
# title: EC2 instances get no public IP address
# description: Checks every `aws_instance` (Terraform, plans and AWS exports). Expected: EC2 instances get no public IP address. Do not set associate_public_ip_address to true; use false.
# severity: medium
# remediation: Do not set associate_public_ip_address to true; use false.
# fix:   associate_public_ip_address = false
# checkov: CKV_AWS_88
# references: NIST CSF PR.AC-5
package posture.rules.aws_ec2_004

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: associate_public_ip_address is true", [r.address])} if {
	some r in lib.of("aws_instance")
	object.get(r.config, "associate_public_ip_address", null) == true
}
