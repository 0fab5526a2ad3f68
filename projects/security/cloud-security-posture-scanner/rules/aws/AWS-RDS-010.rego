# id: AWS-RDS-010
# title: Aurora clusters encrypt their storage
# description: Checks every `aws_rds_cluster` (Terraform, plans and AWS exports). Expected: Aurora clusters encrypt their storage. Set storage_encrypted = true.
# severity: high
# remediation: Set storage_encrypted = true.
# fix:   storage_encrypted = true
# checkov: CKV_AWS_96
# references: CIS AWS 2.3.1; NIST CSF PR.DS-1
package posture.rules.aws_rds_010

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: storage_encrypted is not true", [r.address])} if {
	some r in lib.of("aws_rds_cluster")
	not object.get(r.config, "storage_encrypted", null) == true
}
