# id: AWS-S3-002
# title: S3 public access blocks enable all four settings
# description: Checks every `aws_s3_bucket_public_access_block` (Terraform, plans and AWS exports). Expected: S3 public access blocks enable all four settings. Set block_public_acls, block_public_policy, ignore_public_acls and restrict_public_buckets to true.
# severity: high
# remediation: Set block_public_acls, block_public_policy, ignore_public_acls and restrict_public_buckets to true.
# fix:   block_public_acls       = true
# fix:   block_public_policy     = true
# fix:   ignore_public_acls      = true
# fix:   restrict_public_buckets = true
# checkov: CKV_AWS_53, CKV_AWS_54, CKV_AWS_55, CKV_AWS_56
# references: CIS AWS 2.1.4; NIST CSF PR.AC-3
package posture.rules.aws_s3_002

import rego.v1

import data.posture.lib

settings := ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"]

findings contains {"id": p.id, "message": sprintf("%s leaves %s off", [p.address, s])} if {
	some p in lib.of("aws_s3_bucket_public_access_block")
	some s in settings
	not object.get(p.config, s, false) == true
}
