# id: AWS-SM-003
# title: Deleted secrets stay recoverable
# description: Checks every `aws_secretsmanager_secret` (Terraform, plans and AWS exports). Expected: Deleted secrets stay recoverable. Do not set recovery_window_in_days to 0; use 30.
# severity: low
# remediation: Do not set recovery_window_in_days to 0; use 30.
# fix:   recovery_window_in_days = 30
# references: NIST CSF PR.IP-4
package posture.rules.aws_sm_003

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: recovery_window_in_days is 0", [r.address])} if {
	some r in lib.of("aws_secretsmanager_secret")
	object.get(r.config, "recovery_window_in_days", null) == 0
}
