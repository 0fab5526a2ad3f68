# id: AWS-RDS-007
# title: RDS instances take minor version upgrades
# description: Checks every `aws_db_instance` (Terraform, plans and AWS exports). Expected: RDS instances take minor version upgrades. Do not set auto_minor_version_upgrade to false; use true.
# severity: low
# remediation: Do not set auto_minor_version_upgrade to false; use true.
# fix:   auto_minor_version_upgrade = true
# checkov: CKV_AWS_226
# references: NIST CSF PR.IP-12
package posture.rules.aws_rds_007

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: auto_minor_version_upgrade is false", [r.address])} if {
	some r in lib.of("aws_db_instance")
	object.get(r.config, "auto_minor_version_upgrade", null) == false
}
