# id: AWS-IAM-004
# title: The password policy requires symbols
# description: Checks every `aws_iam_account_password_policy` (Terraform, plans and AWS exports). Expected: The password policy requires symbols. Set require_symbols = true.
# severity: low
# remediation: Set require_symbols = true.
# fix:   require_symbols = true
# checkov: CKV_AWS_14
# references: NIST CSF PR.AC-1
package posture.rules.aws_iam_004

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: require_symbols is not true", [r.address])} if {
	some r in lib.of("aws_iam_account_password_policy")
	not object.get(r.config, "require_symbols", null) == true
}
