# id: AWS-RDS-012
# title: Aurora clusters keep backups at least 7 days
# description: Checks every `aws_rds_cluster` (Terraform, plans and AWS exports). Expected: Aurora clusters keep backups at least 7 days. Set backup_retention_period to 7 or more.
# severity: medium
# remediation: Set backup_retention_period to 7 or more.
# fix:   backup_retention_period = 7
# checkov: CKV_AWS_133
# references: NIST CSF PR.IP-4
package posture.rules.aws_rds_012

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: backup_retention_period is below 7", [r.address])} if {
    	some r in lib.of("aws_rds_cluster")
    	n := object.get(r.config, "backup_retention_period", null)
	not at_least(n)
    }

    at_least(n) if {
    	is_number(n)
    	n >= 7
    }
