# id: AWS-RDS-001
# title: RDS instances encrypt their storage
# description: Checks every `aws_db_instance` (Terraform, plans and AWS exports). Expected: RDS instances encrypt their storage. Set storage_encrypted = true (with kms_key_id for a customer managed key).
# severity: high
# remediation: Set storage_encrypted = true (with kms_key_id for a customer managed key).
# fix:   storage_encrypted = true
# fix:   kms_key_id        = aws_kms_key.db.arn
# checkov: CKV_AWS_16
# references: CIS AWS 2.3.1; NIST CSF PR.DS-1
package posture.rules.aws_rds_001

import rego.v1

import data.posture.lib

findings contains {"id": d.id, "message": sprintf("%s stores data unencrypted", [d.address])} if {
	some d in lib.of("aws_db_instance")
	not d.config.storage_encrypted == true
}
