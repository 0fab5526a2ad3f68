# id: AWS-CT-004
# title: CloudTrail sends its events to CloudWatch Logs
# description: Checks every `aws_cloudtrail` (Terraform, plans and AWS exports). Expected: CloudTrail sends its events to CloudWatch Logs. Set cloud_watch_logs_group_arn.
# severity: low
# remediation: Set cloud_watch_logs_group_arn.
# fix:   cloud_watch_logs_group_arn = "arn:aws:logs:eu-west-1:111122223333:log-group:trail:*"
# checkov: CKV2_AWS_10
# references: CIS AWS 3.4; NIST CSF DE.CM-1
package posture.rules.aws_ct_004

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: cloud_watch_logs_group_arn is not set", [r.address])} if {
	some r in lib.of("aws_cloudtrail")
	not object.get(r.config, "cloud_watch_logs_group_arn", false)
}
