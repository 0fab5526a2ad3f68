# id: AWS-APIGW-002
# title: API Gateway stages log access
# description: Checks every `aws_api_gateway_stage` (Terraform, plans and AWS exports). Expected: API Gateway stages log access. Set access_log_settings.destination_arn.
# severity: medium
# remediation: Set access_log_settings.destination_arn.
# fix:   access_log_settings {
# fix:     destination_arn = "arn:aws:logs:eu-west-1:111122223333:log-group:api"
# fix:   }
# checkov: CKV_AWS_76
# references: NIST CSF DE.CM-1
package posture.rules.aws_apigw_002

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: access_log_settings.destination_arn is not set", [r.address])} if {
	some r in lib.of("aws_api_gateway_stage")
	not object.get(lib.block(r.config, "access_log_settings"), "destination_arn", false)
}
