# id: AWS-LOG-002
# title: CloudWatch log groups keep logs at least a year
# description: Checks every `aws_cloudwatch_log_group` (Terraform, plans and AWS exports). Expected: CloudWatch log groups keep logs at least a year. Set retention_in_days to 365 or more.
# severity: low
# remediation: Set retention_in_days to 365 or more.
# fix:   retention_in_days = 365
# checkov: CKV_AWS_338
# references: NIST CSF PR.PT-1
package posture.rules.aws_log_002

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: retention_in_days is below 365", [r.address])} if {
    	some r in lib.of("aws_cloudwatch_log_group")
    	n := object.get(r.config, "retention_in_days", 100000)
	not at_least(n)
    }

    at_least(n) if {
    	is_number(n)
    	n >= 365
    }
