# id: AWS-ELB-001
# title: Load balancers drop invalid HTTP headers
# description: Checks every `aws_lb` (Terraform, plans and AWS exports). Expected: Load balancers drop invalid HTTP headers. Set drop_invalid_header_fields = true.
# severity: medium
# remediation: Set drop_invalid_header_fields = true.
# fix:   drop_invalid_header_fields = true
# checkov: CKV_AWS_131
# references: NIST CSF PR.DS-2
package posture.rules.aws_elb_001

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: drop_invalid_header_fields is not true", [r.address])} if {
	some r in lib.of("aws_lb")
	not object.get(r.config, "drop_invalid_header_fields", null) == true
}
