# id: AWS-RS-002
# title: Redshift clusters are not publicly accessible
# description: Checks every `aws_redshift_cluster` (Terraform, plans and AWS exports). Expected: Redshift clusters are not publicly accessible. Do not set publicly_accessible to true; use false.
# severity: critical
# remediation: Do not set publicly_accessible to true; use false.
# fix:   publicly_accessible = false
# checkov: CKV_AWS_87
# references: NIST CSF PR.AC-5
package posture.rules.aws_rs_002

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: publicly_accessible is true", [r.address])} if {
	some r in lib.of("aws_redshift_cluster")
	object.get(r.config, "publicly_accessible", null) == true
}
