# id: AWS-CT-003
# title: CloudTrail logs are encrypted with a KMS key
# description: Checks every `aws_cloudtrail` (Terraform, plans and AWS exports). Expected: CloudTrail logs are encrypted with a KMS key. Set kms_key_id.
# severity: medium
# remediation: Set kms_key_id.
# fix:   kms_key_id = "arn:aws:kms:eu-west-1:111122223333:key/abc"
# checkov: CKV_AWS_35
# references: CIS AWS 3.5; NIST CSF PR.DS-1
package posture.rules.aws_ct_003

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: kms_key_id is not set", [r.address])} if {
	some r in lib.of("aws_cloudtrail")
	not object.get(r.config, "kms_key_id", false)
}
