# id: AWS-RDS-002
# title: RDS instances are not publicly accessible
# description: Checks every `aws_db_instance` (Terraform, plans and AWS exports). Expected: RDS instances are not publicly accessible. Set publicly_accessible = false and reach the database from inside the VPC.
# severity: critical
# remediation: Set publicly_accessible = false and reach the database from inside the VPC.
# fix:   publicly_accessible = false
# checkov: CKV_AWS_17
# references: CIS AWS 2.3.3; NIST CSF PR.AC-5
package posture.rules.aws_rds_002

import rego.v1

import data.posture.lib

findings contains {"id": d.id, "message": sprintf("%s is reachable from the internet", [d.address])} if {
	some d in lib.of("aws_db_instance")
	d.config.publicly_accessible == true
}
