# id: AWS-EC2-002
# title: EC2 root volumes are encrypted
# description: Checks every `aws_instance` (Terraform, plans and AWS exports). Expected: EC2 root volumes are encrypted. Set root_block_device.encrypted = true.
# severity: high
# remediation: Set root_block_device.encrypted = true.
# fix:   root_block_device {
# fix:     encrypted = true
# fix:   }
# checkov: CKV_AWS_8
# references: CIS AWS 2.2.1; NIST CSF PR.DS-1
package posture.rules.aws_ec2_002

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: root_block_device.encrypted is not true", [r.address])} if {
	some r in lib.of("aws_instance")
	not object.get(lib.block(r.config, "root_block_device"), "encrypted", null) == true
}
