# id: AWS-EC2-001
# title: EC2 instances require IMDSv2
# description: Checks every `aws_instance` (Terraform, plans and AWS exports). Expected: EC2 instances require IMDSv2. Set metadata_options.http_tokens = "required".
# severity: high
# remediation: Set metadata_options.http_tokens = "required".
# fix:   metadata_options {
# fix:     http_tokens = "required"
# fix:   }
# checkov: CKV_AWS_79
# references: CIS AWS 5.6; NIST CSF PR.AC-3
package posture.rules.aws_ec2_001

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: metadata_options.http_tokens is not required", [r.address])} if {
	some r in lib.of("aws_instance")
	not object.get(lib.block(r.config, "metadata_options"), "http_tokens", null) == "required"
}
