# id: AWS-RDS-006
# title: RDS instances use IAM database authentication
# description: Checks every `aws_db_instance` (Terraform, plans and AWS exports). Expected: RDS instances use IAM database authentication. Set iam_database_authentication_enabled = true.
# severity: medium
# remediation: Set iam_database_authentication_enabled = true.
# fix:   iam_database_authentication_enabled = true
# checkov: CKV_AWS_161
# references: NIST CSF PR.AC-1
package posture.rules.aws_rds_006

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: iam_database_authentication_enabled is not true", [r.address])} if {
	some r in lib.of("aws_db_instance")
	not object.get(r.config, "iam_database_authentication_enabled", null) == true
}
