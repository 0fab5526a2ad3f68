# id: AWS-ECR-002
# title: ECR repositories scan images on push
# description: Checks every `aws_ecr_repository` (Terraform, plans and AWS exports). Expected: ECR repositories scan images on push. Set image_scanning_configuration.scan_on_push = true.
# severity: medium
# remediation: Set image_scanning_configuration.scan_on_push = true.
# fix:   image_scanning_configuration {
# fix:     scan_on_push = true
# fix:   }
# checkov: CKV_AWS_163
# references: NIST CSF DE.CM-8
package posture.rules.aws_ecr_002

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: image_scanning_configuration.scan_on_push is not true", [r.address])} if {
	some r in lib.of("aws_ecr_repository")
	not object.get(lib.block(r.config, "image_scanning_configuration"), "scan_on_push", null) == true
}
