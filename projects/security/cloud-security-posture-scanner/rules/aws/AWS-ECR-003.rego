# id: AWS-ECR-003
# title: ECR repositories are encrypted with KMS
# description: Checks every `aws_ecr_repository` (Terraform, plans and AWS exports). Expected: ECR repositories are encrypted with KMS. Set encryption_configuration.encryption_type = "KMS".
# severity: low
# remediation: Set encryption_configuration.encryption_type = "KMS".
# fix:   encryption_configuration {
# fix:     encryption_type = "KMS"
# fix:   }
# checkov: CKV_AWS_136
# references: NIST CSF PR.DS-1
package posture.rules.aws_ecr_003

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: encryption_configuration.encryption_type is not KMS", [r.address])} if {
	some r in lib.of("aws_ecr_repository")
	not object.get(lib.block(r.config, "encryption_configuration"), "encryption_type", null) == "KMS"
}
