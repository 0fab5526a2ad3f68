# id: AWS-SSM-001
# title: Secret-looking SSM parameters are SecureString
# description: Checks every `aws_ssm_parameter` (Terraform, plans and AWS exports). Expected: Secret-looking SSM parameters are SecureString. Store passwords, tokens and keys as type SecureString (or in Secrets Manager).
# severity: high
# remediation: Store passwords, tokens and keys as type SecureString (or in Secrets Manager).
# fix:   type = "SecureString"
# references: NIST CSF PR.DS-1
package posture.rules.aws_ssm_001

import rego.v1

import data.posture.lib

secretish := ["password", "passwd", "secret", "token", "api_key", "private_key"]

findings contains {"id": p.id, "message": sprintf("%s holds a secret as %s", [p.address, p.config.type])} if {
	some p in lib.of("aws_ssm_parameter")
	p.config.type != "SecureString"
	some s in secretish
	contains(lower(p.config.name), s)
}
