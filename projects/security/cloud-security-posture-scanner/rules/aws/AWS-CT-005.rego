# id: AWS-CT-005
# title: CloudTrail records global service events
# description: Checks every `aws_cloudtrail` (Terraform, plans and AWS exports). Expected: CloudTrail records global service events. Do not set include_global_service_events to false; use true.
# severity: low
# remediation: Do not set include_global_service_events to false; use true.
# fix:   include_global_service_events = true
# references: NIST CSF DE.CM-7
package posture.rules.aws_ct_005

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: include_global_service_events is false", [r.address])} if {
	some r in lib.of("aws_cloudtrail")
	object.get(r.config, "include_global_service_events", null) == false
}
