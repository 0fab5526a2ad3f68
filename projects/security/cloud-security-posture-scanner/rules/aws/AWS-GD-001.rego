# id: AWS-GD-001
# title: GuardDuty detectors are enabled
# description: Checks every `aws_guardduty_detector` (Terraform, plans and AWS exports). Expected: GuardDuty detectors are enabled. Do not set enable to false; use true.
# severity: medium
# remediation: Do not set enable to false; use true.
# fix:   enable = true
# references: CIS AWS 4.15; NIST CSF DE.CM-1
package posture.rules.aws_gd_001

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: enable is false", [r.address])} if {
	some r in lib.of("aws_guardduty_detector")
	object.get(r.config, "enable", null) == false
}
