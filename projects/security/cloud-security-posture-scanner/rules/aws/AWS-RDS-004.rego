# id: AWS-RDS-004
# title: RDS instances are protected from deletion
# description: Checks every `aws_db_instance` (Terraform, plans and AWS exports). Expected: RDS instances are protected from deletion. Set deletion_protection = true.
# severity: medium
# remediation: Set deletion_protection = true.
# fix:   deletion_protection = true
# checkov: CKV_AWS_293
# references: NIST CSF PR.IP-4
package posture.rules.aws_rds_004

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: deletion_protection is not true", [r.address])} if {
	some r in lib.of("aws_db_instance")
	not object.get(r.config, "deletion_protection", null) == true
}
