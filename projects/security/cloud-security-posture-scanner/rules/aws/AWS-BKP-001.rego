# id: AWS-BKP-001
# title: Backup vaults are encrypted with a customer managed key
# description: Checks every `aws_backup_vault` (Terraform, plans and AWS exports). Expected: Backup vaults are encrypted with a customer managed key. Set kms_key_arn.
# severity: low
# remediation: Set kms_key_arn.
# fix:   kms_key_arn = "arn:aws:kms:eu-west-1:111122223333:key/abc"
# checkov: CKV_AWS_166
# references: NIST CSF PR.DS-1
package posture.rules.aws_bkp_001

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: kms_key_arn is not set", [r.address])} if {
	some r in lib.of("aws_backup_vault")
	not object.get(r.config, "kms_key_arn", false)
}
