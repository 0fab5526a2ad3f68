# id: AWS-S3-001
# title: S3 buckets have a public access block
# description: Checks every `aws_s3_bucket`, `aws_s3_bucket_public_access_block` (Terraform, plans and AWS exports). Expected: S3 buckets have a public access block. Add an aws_s3_bucket_public_access_block for the bucket with all four settings true.
# severity: high
# remediation: Add an aws_s3_bucket_public_access_block for the bucket with all four settings true.
# fix: resource "aws_s3_bucket_public_access_block" "this" {
# fix:   bucket                  = aws_s3_bucket.this.id
# fix:   block_public_acls       = true
# fix:   block_public_policy     = true
# fix:   ignore_public_acls      = true
# fix:   restrict_public_buckets = true
# fix: }
# checkov: CKV2_AWS_6
# references: CIS AWS 2.1.4; NIST CSF PR.AC-3
package posture.rules.aws_s3_001

import rego.v1

import data.posture.lib

findings contains {"id": b.id, "message": sprintf("bucket %s has no public access block", [b.address])} if {
	some b in lib.of("aws_s3_bucket")
	not has_block(b)
}

has_block(b) if {
	some p in lib.of("aws_s3_bucket_public_access_block")
	lib.refers(p, p.config.bucket, b)
}
