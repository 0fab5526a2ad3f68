# id: AWS-EFS-001
# title: EFS file systems are encrypted
# description: Checks every `aws_efs_file_system` (Terraform, plans and AWS exports). Expected: EFS file systems are encrypted. Set encrypted = true.
# severity: high
# remediation: Set encrypted = true.
# fix:   encrypted = true
# checkov: CKV_AWS_42
# references: CIS AWS 2.4.1; NIST CSF PR.DS-1
package posture.rules.aws_efs_001

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: encrypted is not true", [r.address])} if {
	some r in lib.of("aws_efs_file_system")
	not object.get(r.config, "encrypted", null) == true
}
