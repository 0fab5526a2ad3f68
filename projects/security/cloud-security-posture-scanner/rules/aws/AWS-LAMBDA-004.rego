# id: AWS-LAMBDA-004
# title: Lambda permissions name a principal, never *
# description: Checks every `aws_lambda_permission` (Terraform, plans and AWS exports). Expected: Lambda permissions name a principal, never *. Do not set principal to "*"; use "events.amazonaws.com".
# severity: critical
# remediation: Do not set principal to "*"; use "events.amazonaws.com".
# fix:   principal = "events.amazonaws.com"
# checkov: CKV_AWS_364
# references: NIST CSF PR.AC-4
package posture.rules.aws_lambda_004

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: principal is *", [r.address])} if {
	some r in lib.of("aws_lambda_permission")
	object.get(r.config, "principal", null) == "*"
}
