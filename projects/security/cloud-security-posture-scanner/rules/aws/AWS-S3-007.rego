# id: AWS-S3-007
# title: S3 buckets enforce bucket-owner object ownership (no ACLs)
# description: Checks every `aws_s3_bucket`, `aws_s3_bucket_ownership_controls` (Terraform, plans and AWS exports). Expected: S3 buckets enforce bucket-owner object ownership (no ACLs). Add aws_s3_bucket_ownership_controls with object_ownership = "BucketOwnerEnforced".
# severity: medium
# remediation: Add aws_s3_bucket_ownership_controls with object_ownership = "BucketOwnerEnforced".
# fix: resource "aws_s3_bucket_ownership_controls" "this" {
# fix:   bucket = aws_s3_bucket.this.id
# fix:   rule {
# fix:     object_ownership = "BucketOwnerEnforced"
# fix:   }
# fix: }
# checkov: CKV2_AWS_65
# references: NIST CSF PR.AC-4
package posture.rules.aws_s3_007

import rego.v1

import data.posture.lib

findings contains {"id": b.id, "message": sprintf("bucket %s still honours object ACLs", [b.address])} if {
	some b in lib.of("aws_s3_bucket")
	not enforced(b)
}

enforced(b) if {
	some o in lib.of("aws_s3_bucket_ownership_controls")
	lib.refers(o, o.config.bucket, b)
	lib.block(o.config, "rule").object_ownership == "BucketOwnerEnforced"
}
