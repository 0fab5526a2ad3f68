# id: AWS-LAMBDA-002
# title: Lambda functions are traced with X-Ray
# description: Checks every `aws_lambda_function` (Terraform, plans and AWS exports). Expected: Lambda functions are traced with X-Ray. Set tracing_config.mode = "Active".
# severity: low
# remediation: Set tracing_config.mode = "Active".
# fix:   tracing_config {
# fix:     mode = "Active"
# fix:   }
# checkov: CKV_AWS_50
# references: NIST CSF DE.CM-1
package posture.rules.aws_lambda_002

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: tracing_config.mode is not Active", [r.address])} if {
	some r in lib.of("aws_lambda_function")
	not object.get(lib.block(r.config, "tracing_config"), "mode", null) == "Active"
}
