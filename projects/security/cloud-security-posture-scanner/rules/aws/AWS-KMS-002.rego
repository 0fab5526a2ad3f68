# id: AWS-KMS-002
# title: KMS keys wait at least 14 days before deletion
# description: Checks every `aws_kms_key` (Terraform, plans and AWS exports). Expected: KMS keys wait at least 14 days before deletion. Set deletion_window_in_days to 14 or more.
# severity: low
# remediation: Set deletion_window_in_days to 14 or more.
# fix:   deletion_window_in_days = 14
# references: NIST CSF PR.IP-4
package posture.rules.aws_kms_002

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: deletion_window_in_days is below 14", [r.address])} if {
    	some r in lib.of("aws_kms_key")
    	n := object.get(r.config, "deletion_window_in_days", 30)
	not at_least(n)
    }

    at_least(n) if {
    	is_number(n)
    	n >= 14
    }
