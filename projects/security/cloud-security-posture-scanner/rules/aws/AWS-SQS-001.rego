# id: AWS-SQS-001
# title: SQS queues are encrypted with KMS
# description: Checks every `aws_sqs_queue` (Terraform, plans and AWS exports). Expected: SQS queues are encrypted with KMS. Set kms_master_key_id.
# severity: medium
# remediation: Set kms_master_key_id.
# fix:   kms_master_key_id = "alias/sqs"
# checkov: CKV_AWS_27
# references: NIST CSF PR.DS-1
package posture.rules.aws_sqs_001

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: kms_master_key_id is not set", [r.address])} if {
	some r in lib.of("aws_sqs_queue")
	not object.get(r.config, "kms_master_key_id", false)
}
