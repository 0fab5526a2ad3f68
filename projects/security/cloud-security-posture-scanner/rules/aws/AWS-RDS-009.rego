# id: AWS-RDS-009
# title: RDS instances export their logs
# description: Checks every `aws_db_instance` (Terraform, plans and AWS exports). Expected: RDS instances export their logs. Set enabled_cloudwatch_logs_exports (e.g. postgresql and upgrade).
# severity: medium
# remediation: Set enabled_cloudwatch_logs_exports (e.g. postgresql and upgrade).
# fix:   enabled_cloudwatch_logs_exports = ["postgresql", "upgrade"]
# checkov: CKV_AWS_129
# references: NIST CSF DE.CM-1
package posture.rules.aws_rds_009

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: enabled_cloudwatch_logs_exports is not set", [r.address])} if {
	some r in lib.of("aws_db_instance")
	not object.get(r.config, "enabled_cloudwatch_logs_exports", false)
}
