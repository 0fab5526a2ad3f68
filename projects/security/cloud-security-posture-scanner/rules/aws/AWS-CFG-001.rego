# id: AWS-CFG-001
# title: AWS Config records every supported resource type
# description: Checks every `aws_config_configuration_recorder` (Terraform, plans and AWS exports). Expected: AWS Config records every supported resource type. Set recording_group.all_supported = true.
# severity: medium
# remediation: Set recording_group.all_supported = true.
# fix:   recording_group {
# fix:     all_supported = true
# fix:   }
# references: CIS AWS 3.3; NIST CSF ID.AM-2
package posture.rules.aws_cfg_001

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: recording_group.all_supported is not true", [r.address])} if {
	some r in lib.of("aws_config_configuration_recorder")
	not object.get(lib.block(r.config, "recording_group"), "all_supported", null) == true
}
