# id: AWS-KIN-001
# title: Kinesis streams are encrypted with KMS
# description: Checks every `aws_kinesis_stream` (Terraform, plans and AWS exports). Expected: Kinesis streams are encrypted with KMS. Set encryption_type = "KMS".
# severity: medium
# remediation: Set encryption_type = "KMS".
# fix:   encryption_type = "KMS"
# checkov: CKV_AWS_43
# references: NIST CSF PR.DS-1
package posture.rules.aws_kin_001

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: encryption_type is not KMS", [r.address])} if {
	some r in lib.of("aws_kinesis_stream")
	not object.get(r.config, "encryption_type", null) == "KMS"
}
