# id: AWS-LAMBDA-003
# title: Lambda environment variables are encrypted with a KMS key
# description: Checks every `aws_lambda_function` (Terraform, plans and AWS exports). Expected: Lambda environment variables are encrypted with a KMS key. Set kms_key_arn on functions that have environment variables.
# severity: low
# remediation: Set kms_key_arn on functions that have environment variables.
# fix:   kms_key_arn = aws_kms_key.lambda.arn
# checkov: CKV_AWS_173
# references: NIST CSF PR.DS-1
package posture.rules.aws_lambda_003

import rego.v1

import data.posture.lib

findings contains {"id": f.id, "message": sprintf("%s: environment variables without a customer managed key", [f.address])} if {
	some f in lib.of("aws_lambda_function")
	count(object.get(f.config, "environment", [])) > 0
	not f.config.kms_key_arn
}
