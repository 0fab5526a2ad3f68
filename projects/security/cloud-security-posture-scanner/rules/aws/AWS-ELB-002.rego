# id: AWS-ELB-002
# title: Load balancers log access
# description: Checks every `aws_lb` (Terraform, plans and AWS exports). Expected: Load balancers log access. Set access_logs.enabled = true.
# severity: low
# remediation: Set access_logs.enabled = true.
# fix:   access_logs {
# fix:     enabled = true
# fix:   }
# checkov: CKV_AWS_91
# references: NIST CSF DE.CM-1
package posture.rules.aws_elb_002

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: access_logs.enabled is not true", [r.address])} if {
	some r in lib.of("aws_lb")
	not object.get(lib.block(r.config, "access_logs"), "enabled", null) == true
}
