# id: AWS-LOG-001
# title: CloudWatch log groups are encrypted with a KMS key
# description: Checks every `aws_cloudwatch_log_group` (Terraform, plans and AWS exports). Expected: CloudWatch log groups are encrypted with a KMS key. Set kms_key_id.
# severity: medium
# remediation: Set kms_key_id.
# fix:   kms_key_id = "arn:aws:kms:eu-west-1:111122223333:key/abc"
# checkov: CKV_AWS_158
# references: NIST CSF PR.DS-1
package posture.rules.aws_log_001

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: kms_key_id is not set", [r.address])} if {
	some r in lib.of("aws_cloudwatch_log_group")
	not object.get(r.config, "kms_key_id", false)
}
