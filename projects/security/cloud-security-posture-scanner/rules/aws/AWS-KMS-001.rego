# id: AWS-KMS-001
# title: KMS keys rotate
# description: Checks every `aws_kms_key` (Terraform, plans and AWS exports). Expected: KMS keys rotate. Set enable_key_rotation = true.
# severity: medium
# remediation: Set enable_key_rotation = true.
# fix: resource "aws_kms_key" "this" {
# fix:   enable_key_rotation = true
# fix: }
# checkov: CKV_AWS_7
# references: CIS AWS 3.6; NIST CSF PR.DS-1
package posture.rules.aws_kms_001

import rego.v1

import data.posture.lib

findings contains {"id": k.id, "message": sprintf("%s does not rotate", [k.address])} if {
	some k in lib.of("aws_kms_key")
	not k.config.enable_key_rotation == true
}
