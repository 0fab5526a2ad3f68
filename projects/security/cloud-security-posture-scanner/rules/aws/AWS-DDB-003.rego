# id: AWS-DDB-003
# title: DynamoDB tables are protected from deletion
# description: Checks every `aws_dynamodb_table` (Terraform, plans and AWS exports). Expected: DynamoDB tables are protected from deletion. Set deletion_protection_enabled = true.
# severity: low
# remediation: Set deletion_protection_enabled = true.
# fix:   deletion_protection_enabled = true
# references: NIST CSF PR.IP-4
package posture.rules.aws_ddb_003

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: deletion_protection_enabled is not true", [r.address])} if {
	some r in lib.of("aws_dynamodb_table")
	not object.get(r.config, "deletion_protection_enabled", null) == true
}
