# id: AWS-LAMBDA-006
# title: Lambda functions have a dead-letter queue
# description: Checks every `aws_lambda_function` (Terraform, plans and AWS exports). Expected: Lambda functions have a dead-letter queue. Set dead_letter_config.target_arn.
# severity: low
# remediation: Set dead_letter_config.target_arn.
# fix:   dead_letter_config {
# fix:     target_arn = "arn:aws:sqs:eu-west-1:111122223333:dlq"
# fix:   }
# checkov: CKV_AWS_116
# references: NIST CSF PR.PT-5
package posture.rules.aws_lambda_006

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: dead_letter_config.target_arn is not set", [r.address])} if {
	some r in lib.of("aws_lambda_function")
	not object.get(lib.block(r.config, "dead_letter_config"), "target_arn", false)
}
