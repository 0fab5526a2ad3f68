# id: AWS-IAM-002
# title: IAM users get permissions through groups, not their own policies
# description: Checks the scanned resources (Terraform, plans and AWS exports). Expected: IAM users get permissions through groups, not their own policies. Attach policies to groups or roles; put the user in the group.
# severity: low
# remediation: Attach policies to groups or roles; put the user in the group.
# fix: resource "aws_iam_group_policy_attachment" "this" {
# fix:   group      = aws_iam_group.readers.name
# fix:   policy_arn = aws_iam_policy.read.arn
# fix: }
# checkov: CKV_AWS_40
# references: CIS AWS 1.15; NIST CSF PR.AC-4
package posture.rules.aws_iam_002

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s gives a user its own permissions", [r.address])} if {
	some t in ["aws_iam_user_policy", "aws_iam_user_policy_attachment"]
	some r in lib.of(t)
}
