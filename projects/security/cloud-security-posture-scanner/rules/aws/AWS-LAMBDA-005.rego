# id: AWS-LAMBDA-005
# title: Lambda function URLs require authentication
# description: Checks every `aws_lambda_function_url` (Terraform, plans and AWS exports). Expected: Lambda function URLs require authentication. Do not set authorization_type to "NONE"; use "AWS_IAM".
# severity: high
# remediation: Do not set authorization_type to "NONE"; use "AWS_IAM".
# fix:   authorization_type = "AWS_IAM"
# checkov: CKV_AWS_258
# references: NIST CSF PR.AC-1
package posture.rules.aws_lambda_005

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: authorization_type is NONE", [r.address])} if {
	some r in lib.of("aws_lambda_function_url")
	object.get(r.config, "authorization_type", null) == "NONE"
}
