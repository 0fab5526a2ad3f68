# id: AWS-CT-001
# title: CloudTrail trails cover every region
# description: Checks every `aws_cloudtrail` (Terraform, plans and AWS exports). Expected: CloudTrail trails cover every region. Set is_multi_region_trail = true.
# severity: high
# remediation: Set is_multi_region_trail = true.
# fix:   is_multi_region_trail = true
# checkov: CKV_AWS_67
# references: CIS AWS 3.1; NIST CSF DE.CM-7
package posture.rules.aws_ct_001

import rego.v1

import data.posture.lib

findings contains {"id": t.id, "message": sprintf("%s records one region only", [t.address])} if {
	some t in lib.of("aws_cloudtrail")
	not t.config.is_multi_region_trail == true
}
