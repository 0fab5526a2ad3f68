# id: AWS-DDB-002
# title: DynamoDB tables are encrypted with a customer managed key
# description: Checks every `aws_dynamodb_table` (Terraform, plans and AWS exports). Expected: DynamoDB tables are encrypted with a customer managed key. Set server_side_encryption.enabled = true.
# severity: medium
# remediation: Set server_side_encryption.enabled = true.
# fix:   server_side_encryption {
# fix:     enabled = true
# fix:   }
# checkov: CKV_AWS_119
# references: NIST CSF PR.DS-1
package posture.rules.aws_ddb_002

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: server_side_encryption.enabled is not true", [r.address])} if {
	some r in lib.of("aws_dynamodb_table")
	not object.get(lib.block(r.config, "server_side_encryption"), "enabled", null) == true
}
