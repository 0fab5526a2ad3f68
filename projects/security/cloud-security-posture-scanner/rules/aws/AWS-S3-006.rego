# id: AWS-S3-006
# title: S3 buckets log access
# description: Checks every `aws_s3_bucket`, `aws_s3_bucket_logging` (Terraform, plans and AWS exports). Expected: S3 buckets log access. Add an aws_s3_bucket_logging pointing at a log bucket.
# severity: low
# remediation: Add an aws_s3_bucket_logging pointing at a log bucket.
# fix: resource "aws_s3_bucket_logging" "this" {
# fix:   bucket        = aws_s3_bucket.this.id
# fix:   target_bucket = aws_s3_bucket.logs.id
# fix:   target_prefix = "s3/"
# fix: }
# checkov: CKV_AWS_18
# references: CIS AWS 3.6; NIST CSF DE.CM-1
package posture.rules.aws_s3_006

import rego.v1

import data.posture.lib

findings contains {"id": b.id, "message": sprintf("bucket %s does not log access", [b.address])} if {
	some b in lib.of("aws_s3_bucket")
	not logged(b)
}

logged(b) if {
	some l in lib.of("aws_s3_bucket_logging")
	lib.refers(l, l.config.bucket, b)
}
