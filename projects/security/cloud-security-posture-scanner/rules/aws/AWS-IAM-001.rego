# id: AWS-IAM-001
# title: IAM policies do not allow every action on every resource
# description: Checks every `data.aws_iam_policy_document` (Terraform, plans and AWS exports). Expected: IAM policies do not allow every action on every resource. Grant the actions and resources the principal needs; never Action * on Resource *.
# severity: critical
# remediation: Grant the actions and resources the principal needs; never Action * on Resource *.
# fix: statement {
# fix:   actions   = ["s3:GetObject"]
# fix:   resources = ["${aws_s3_bucket.this.arn}/*"]
# fix: }
# checkov: CKV_AWS_62, CKV_AWS_63
# references: CIS AWS 1.16; NIST CSF PR.AC-4
package posture.rules.aws_iam_001

import rego.v1

import data.posture.lib

admin(s) if {
	object.get(s, "Effect", "Allow") == "Allow"
	"*" in as_list(object.get(s, "Action", []))
	"*" in as_list(object.get(s, "Resource", []))
}

as_list(x) := x if is_array(x)

as_list(x) := [x] if is_string(x)

findings contains {"id": p.id, "message": sprintf("%s allows * on *", [p.address])} if {
	some t in ["aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy"]
	some p in lib.of(t)
	is_string(p.config.policy)
	json.is_valid(p.config.policy)
	doc := json.unmarshal(p.config.policy)
	some s in as_list(doc.Statement)
	admin(s)
}

findings contains {"id": d.id, "message": sprintf("%s allows * on *", [d.address])} if {
	some d in lib.of("data.aws_iam_policy_document")
	some s in object.get(d.config, "statement", [])
	object.get(s, "effect", "Allow") == "Allow"
	"*" in object.get(s, "actions", [])
	"*" in object.get(s, "resources", [])
}
