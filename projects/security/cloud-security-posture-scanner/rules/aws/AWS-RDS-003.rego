# id: AWS-RDS-003
# title: RDS instances keep backups at least 7 days
# description: Checks every `aws_db_instance` (Terraform, plans and AWS exports). Expected: RDS instances keep backups at least 7 days. Set backup_retention_period to 7 or more.
# severity: medium
# remediation: Set backup_retention_period to 7 or more.
# fix:   backup_retention_period = 7
# checkov: CKV_AWS_133
# references: NIST CSF PR.IP-4
package posture.rules.aws_rds_003

import rego.v1

import data.posture.lib

findings contains {"id": d.id, "message": sprintf("%s keeps backups %v day(s)", [d.address, days])} if {
	some d in lib.of("aws_db_instance")
	days := object.get(d.config, "backup_retention_period", 0)
	is_number(days)
	days < 7
}
