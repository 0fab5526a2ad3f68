# id: AWS-RDS-011
# title: Aurora clusters are protected from deletion
# description: Checks every `aws_rds_cluster` (Terraform, plans and AWS exports). Expected: Aurora clusters are protected from deletion. Set deletion_protection = true.
# severity: medium
# remediation: Set deletion_protection = true.
# fix:   deletion_protection = true
# checkov: CKV_AWS_139
# references: NIST CSF PR.IP-4
package posture.rules.aws_rds_011

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: deletion_protection is not true", [r.address])} if {
	some r in lib.of("aws_rds_cluster")
	not object.get(r.config, "deletion_protection", null) == true
}
