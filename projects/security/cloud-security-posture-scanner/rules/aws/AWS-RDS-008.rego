# id: AWS-RDS-008
# title: RDS instances copy tags to snapshots
# description: Checks every `aws_db_instance` (Terraform, plans and AWS exports). Expected: RDS instances copy tags to snapshots. Set copy_tags_to_snapshot = true.
# severity: low
# remediation: Set copy_tags_to_snapshot = true.
# fix:   copy_tags_to_snapshot = true
# checkov: CKV2_AWS_60
# references: NIST CSF ID.AM-1
package posture.rules.aws_rds_008

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: copy_tags_to_snapshot is not true", [r.address])} if {
	some r in lib.of("aws_db_instance")
	not object.get(r.config, "copy_tags_to_snapshot", null) == true
}
