# id: AWS-RDS-005
# title: RDS instances run Multi-AZ
# description: Checks every `aws_db_instance` (Terraform, plans and AWS exports). Expected: RDS instances run Multi-AZ. Set multi_az = true.
# severity: medium
# remediation: Set multi_az = true.
# fix:   multi_az = true
# checkov: CKV_AWS_157
# references: NIST CSF PR.PT-5
package posture.rules.aws_rds_005

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: multi_az is not true", [r.address])} if {
	some r in lib.of("aws_db_instance")
	not object.get(r.config, "multi_az", null) == true
}
