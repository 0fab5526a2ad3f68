# id: AWS-LAMBDA-001
# title: Lambda functions use a supported runtime
# description: Checks every `aws_lambda_function` (Terraform, plans and AWS exports). Expected: Lambda functions use a supported runtime. Move to a supported runtime (python3.12, nodejs20.x, java21, provided.al2023, …).
# severity: high
# remediation: Move to a supported runtime (python3.12, nodejs20.x, java21, provided.al2023, …).
# fix:   runtime = "python3.12"
# checkov: CKV_AWS_363
# references: NIST CSF PR.IP-12
package posture.rules.aws_lambda_001

import rego.v1

import data.posture.lib

deprecated := {"python2.7", "python3.6", "python3.7", "python3.8", "nodejs10.x", "nodejs12.x", "nodejs14.x", "nodejs16.x", "dotnetcore3.1", "ruby2.7", "java8", "go1.x", "provided"}

findings contains {"id": f.id, "message": sprintf("%s runs on %s, which AWS no longer supports", [f.address, f.config.runtime])} if {
	some f in lib.of("aws_lambda_function")
	f.config.runtime in deprecated
}
