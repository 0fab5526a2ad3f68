# id: AWS-SNS-001
# title: SNS topics are encrypted with KMS
# description: Checks every `aws_sns_topic` (Terraform, plans and AWS exports). Expected: SNS topics are encrypted with KMS. Set kms_master_key_id.
# severity: medium
# remediation: Set kms_master_key_id.
# fix:   kms_master_key_id = "alias/sns"
# checkov: CKV_AWS_26
# references: NIST CSF PR.DS-1
package posture.rules.aws_sns_001

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: kms_master_key_id is not set", [r.address])} if {
	some r in lib.of("aws_sns_topic")
	not object.get(r.config, "kms_master_key_id", false)
}
