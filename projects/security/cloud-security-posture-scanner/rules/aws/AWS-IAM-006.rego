# id: AWS-IAM-006
# title: No long-lived IAM access keys are created in code
# description: Checks every `aws_iam_access_key` (Terraform, plans and AWS exports). Expected: No long-lived IAM access keys are created in code. Use roles (instance profiles, IRSA, OIDC federation) instead of access keys.
# severity: medium
# remediation: Use roles (instance profiles, IRSA, OIDC federation) instead of access keys.
# fix: # no aws_iam_access_key: assume a role instead
# references: CIS AWS 1.14; NIST CSF PR.AC-1
package posture.rules.aws_iam_006

import rego.v1

import data.posture.lib

findings contains {"id": k.id, "message": sprintf("%s creates a long-lived access key", [k.address])} if {
	some k in lib.of("aws_iam_access_key")
}
