# id: AWS-CT-002
# title: CloudTrail validates its log files
# description: Checks every `aws_cloudtrail` (Terraform, plans and AWS exports). Expected: CloudTrail validates its log files. Set enable_log_file_validation = true.
# severity: medium
# remediation: Set enable_log_file_validation = true.
# fix:   enable_log_file_validation = true
# checkov: CKV_AWS_36
# references: CIS AWS 3.2; NIST CSF PR.DS-6
package posture.rules.aws_ct_002

import rego.v1

import data.posture.lib

findings contains {"id": t.id, "message": sprintf("%s does not validate its log files", [t.address])} if {
	some t in lib.of("aws_cloudtrail")
	not t.config.enable_log_file_validation == true
}
