# id: AWS-EC2-005
# title: Launch templates require IMDSv2
# description: Checks every `aws_launch_template` (Terraform, plans and AWS exports). Expected: Launch templates require IMDSv2. Set metadata_options.http_tokens = "required".
# severity: high
# remediation: Set metadata_options.http_tokens = "required".
# fix:   metadata_options {
# fix:     http_tokens = "required"
# fix:   }
# checkov: CKV_AWS_341
# references: CIS AWS 5.6; NIST CSF PR.AC-3
package posture.rules.aws_ec2_005

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: metadata_options.http_tokens is not required", [r.address])} if {
	some r in lib.of("aws_launch_template")
	not object.get(lib.block(r.config, "metadata_options"), "http_tokens", null) == "required"
}
