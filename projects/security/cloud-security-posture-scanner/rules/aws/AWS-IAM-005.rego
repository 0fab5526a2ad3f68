# id: AWS-IAM-005
# title: The password policy prevents reuse of the last 24 passwords
# description: Checks every `aws_iam_account_password_policy` (Terraform, plans and AWS exports). Expected: The password policy prevents reuse of the last 24 passwords. Set password_reuse_prevention to 24 or more.
# severity: low
# remediation: Set password_reuse_prevention to 24 or more.
# fix:   password_reuse_prevention = 24
# checkov: CKV_AWS_13
# references: CIS AWS 1.9; NIST CSF PR.AC-1
package posture.rules.aws_iam_005

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: password_reuse_prevention is below 24", [r.address])} if {
    	some r in lib.of("aws_iam_account_password_policy")
    	n := object.get(r.config, "password_reuse_prevention", null)
	not at_least(n)
    }

    at_least(n) if {
    	is_number(n)
    	n >= 24
    }
