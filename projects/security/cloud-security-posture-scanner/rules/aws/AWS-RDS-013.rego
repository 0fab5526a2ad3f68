# id: AWS-RDS-013
# title: RDS instances have enhanced monitoring
# description: Checks every `aws_db_instance` (Terraform, plans and AWS exports). Expected: RDS instances have enhanced monitoring. Set monitoring_interval to 1 or more.
# severity: low
# remediation: Set monitoring_interval to 1 or more.
# fix:   monitoring_interval = 1
# checkov: CKV_AWS_118
# references: NIST CSF DE.CM-1
package posture.rules.aws_rds_013

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: monitoring_interval is below 1", [r.address])} if {
    	some r in lib.of("aws_db_instance")
    	n := object.get(r.config, "monitoring_interval", null)
	not at_least(n)
    }

    at_least(n) if {
    	is_number(n)
    	n >= 1
    }
