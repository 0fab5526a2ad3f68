# id: AWS-RS-001
# title: Redshift clusters are encrypted
# description: Checks every `aws_redshift_cluster` (Terraform, plans and AWS exports). Expected: Redshift clusters are encrypted. Set encrypted = true.
# severity: high
# remediation: Set encrypted = true.
# fix:   encrypted = true
# checkov: CKV_AWS_64
# references: NIST CSF PR.DS-1
package posture.rules.aws_rs_001

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: encrypted is not true", [r.address])} if {
	some r in lib.of("aws_redshift_cluster")
	not object.get(r.config, "encrypted", null) == true
}
