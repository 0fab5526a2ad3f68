# id: AWS-APIGW-001
# title: API Gateway stages are traced with X-Ray
# description: Checks every `aws_api_gateway_stage` (Terraform, plans and AWS exports). Expected: API Gateway stages are traced with X-Ray. Set xray_tracing_enabled = true.
# severity: low
# remediation: Set xray_tracing_enabled = true.
# fix:   xray_tracing_enabled = true
# checkov: CKV_AWS_73
# references: NIST CSF DE.CM-1
package posture.rules.aws_apigw_001

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: xray_tracing_enabled is not true", [r.address])} if {
	some r in lib.of("aws_api_gateway_stage")
	not object.get(r.config, "xray_tracing_enabled", null) == true
}
