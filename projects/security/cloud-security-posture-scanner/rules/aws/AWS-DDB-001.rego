# id: AWS-DDB-001
# title: DynamoDB tables have point-in-time recovery
# description: Checks every `aws_dynamodb_table` (Terraform, plans and AWS exports). Expected: DynamoDB tables have point-in-time recovery. Add point_in_time_recovery { enabled = true }.
# severity: medium
# remediation: Add point_in_time_recovery { enabled = true }.
# fix:   point_in_time_recovery {
# fix:     enabled = true
# fix:   }
# checkov: CKV_AWS_28
# references: NIST CSF PR.IP-4
package posture.rules.aws_ddb_001

import rego.v1

import data.posture.lib

findings contains {"id": t.id, "message": sprintf("%s has no point-in-time recovery", [t.address])} if {
	some t in lib.of("aws_dynamodb_table")
	not lib.block(t.config, "point_in_time_recovery").enabled == true
}
