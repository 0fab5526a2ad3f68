# id: AWS-IAM-003
# title: The password policy asks for 14 characters or more
# description: Checks every `aws_iam_account_password_policy` (Terraform, plans and AWS exports). Expected: The password policy asks for 14 characters or more. Set minimum_password_length to 14 or more.
# severity: medium
# remediation: Set minimum_password_length to 14 or more.
# fix:   minimum_password_length = 14
# checkov: CKV_AWS_10
# references: CIS AWS 1.8; NIST CSF PR.AC-1
package posture.rules.aws_iam_003

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: minimum_password_length is below 14", [r.address])} if {
    	some r in lib.of("aws_iam_account_password_policy")
    	n := object.get(r.config, "minimum_password_length", null)
	not at_least(n)
    }

    at_least(n) if {
    	is_number(n)
    	n >= 14
    }
