# id: AWS-SM-002
# title: Secrets Manager secrets rotate
# description: Checks every `aws_secretsmanager_secret`, `aws_secretsmanager_secret_rotation` (Terraform, plans and AWS exports). Expected: Secrets Manager secrets rotate. Add an aws_secretsmanager_secret_rotation for the secret.
# severity: medium
# remediation: Add an aws_secretsmanager_secret_rotation for the secret.
# fix: resource "aws_secretsmanager_secret_rotation" "this" {
# fix:   secret_id           = aws_secretsmanager_secret.this.id
# fix:   rotation_lambda_arn = aws_lambda_function.rotate.arn
# fix:   rotation_rules {
# fix:     automatically_after_days = 30
# fix:   }
# fix: }
# checkov: CKV2_AWS_57
# references: NIST CSF PR.AC-1
package posture.rules.aws_sm_002

import rego.v1

import data.posture.lib

findings contains {"id": s.id, "message": sprintf("%s does not rotate", [s.address])} if {
	some s in lib.of("aws_secretsmanager_secret")
	not rotated(s)
}

rotated(s) if {
	some r in lib.of("aws_secretsmanager_secret_rotation")
	lib.refers(r, r.config.secret_id, s)
}
