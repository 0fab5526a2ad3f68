# id: AWS-SM-001
# title: Secrets Manager secrets use a customer managed key
# description: Checks every `aws_secretsmanager_secret` (Terraform, plans and AWS exports). Expected: Secrets Manager secrets use a customer managed key. Set kms_key_id to a customer managed KMS key.
# severity: medium
# remediation: Set kms_key_id to a customer managed KMS key.
# fix:   kms_key_id = aws_kms_key.secrets.arn
# checkov: CKV_AWS_149
# references: NIST CSF PR.DS-1
package posture.rules.aws_sm_001

import rego.v1

import data.posture.lib

findings contains {"id": s.id, "message": sprintf("%s is encrypted with the AWS managed key", [s.address])} if {
	some s in lib.of("aws_secretsmanager_secret")
	not s.config.kms_key_id
}
