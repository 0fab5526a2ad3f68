# id: AWS-VPC-001
# title: VPCs have flow logs
# description: Checks every `aws_flow_log`, `aws_vpc` (Terraform, plans and AWS exports). Expected: VPCs have flow logs. Add an aws_flow_log with vpc_id = aws_vpc.this.id.
# severity: medium
# remediation: Add an aws_flow_log with vpc_id = aws_vpc.this.id.
# fix: resource "aws_flow_log" "this" {
# fix:   vpc_id       = aws_vpc.this.id
# fix:   traffic_type = "ALL"
# fix: }
# checkov: CKV2_AWS_11
# references: CIS AWS 3.9; NIST CSF DE.CM-1
package posture.rules.aws_vpc_001

import rego.v1

import data.posture.lib

findings contains {"id": v.id, "message": sprintf("%s has no flow log", [v.address])} if {
	some v in lib.of("aws_vpc")
	not logged(v)
}

logged(v) if {
	some f in lib.of("aws_flow_log")
	lib.refers(f, f.config.vpc_id, v)
}
