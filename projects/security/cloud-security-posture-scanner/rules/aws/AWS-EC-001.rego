# id: AWS-EC-001
# title: ElastiCache encrypts data at rest
# description: Checks every `aws_elasticache_replication_group` (Terraform, plans and AWS exports). Expected: ElastiCache encrypts data at rest. Set at_rest_encryption_enabled = true.
# severity: high
# remediation: Set at_rest_encryption_enabled = true.
# fix:   at_rest_encryption_enabled = true
# checkov: CKV_AWS_29
# references: NIST CSF PR.DS-1
package posture.rules.aws_ec_001

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: at_rest_encryption_enabled is not true", [r.address])} if {
	some r in lib.of("aws_elasticache_replication_group")
	not object.get(r.config, "at_rest_encryption_enabled", null) == true
}
