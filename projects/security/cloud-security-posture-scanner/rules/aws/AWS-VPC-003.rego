# id: AWS-VPC-003
# title: Subnets do not give instances public IPs
# description: Checks every `aws_subnet` (Terraform, plans and AWS exports). Expected: Subnets do not give instances public IPs. Do not set map_public_ip_on_launch to true; use false.
# severity: medium
# remediation: Do not set map_public_ip_on_launch to true; use false.
# fix:   map_public_ip_on_launch = false
# checkov: CKV_AWS_130
# references: NIST CSF PR.AC-5
package posture.rules.aws_vpc_003

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: map_public_ip_on_launch is true", [r.address])} if {
	some r in lib.of("aws_subnet")
	object.get(r.config, "map_public_ip_on_launch", null) == true
}
