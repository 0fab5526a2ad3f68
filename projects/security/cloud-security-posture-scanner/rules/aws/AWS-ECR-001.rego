# id: AWS-ECR-001
# title: ECR repositories have immutable tags
# description: Checks every `aws_ecr_repository` (Terraform, plans and AWS exports). Expected: ECR repositories have immutable tags. Set image_tag_mutability = "IMMUTABLE".
# severity: medium
# remediation: Set image_tag_mutability = "IMMUTABLE".
# fix:   image_tag_mutability = "IMMUTABLE"
# checkov: CKV_AWS_51
# references: NIST CSF PR.DS-6
package posture.rules.aws_ecr_001

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s allows tags to be overwritten", [r.address])} if {
	some r in lib.of("aws_ecr_repository")
	not r.config.image_tag_mutability == "IMMUTABLE"
}
