# id: AWS-EC-002
# title: ElastiCache encrypts data in transit
# description: Checks every `aws_elasticache_replication_group` (Terraform, plans and AWS exports). Expected: ElastiCache encrypts data in transit. Set transit_encryption_enabled = true.
# severity: high
# remediation: Set transit_encryption_enabled = true.
# fix:   transit_encryption_enabled = true
# checkov: CKV_AWS_30
# references: NIST CSF PR.DS-2
package posture.rules.aws_ec_002

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: transit_encryption_enabled is not true", [r.address])} if {
	some r in lib.of("aws_elasticache_replication_group")
	not object.get(r.config, "transit_encryption_enabled", null) == true
}
