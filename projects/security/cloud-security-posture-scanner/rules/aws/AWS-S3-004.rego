# id: AWS-S3-004
# title: S3 buckets have versioning enabled
# description: Checks every `aws_s3_bucket`, `aws_s3_bucket_versioning` (Terraform, plans and AWS exports). Expected: S3 buckets have versioning enabled. Add an aws_s3_bucket_versioning with status Enabled.
# severity: medium
# remediation: Add an aws_s3_bucket_versioning with status Enabled.
# fix: resource "aws_s3_bucket_versioning" "this" {
# fix:   bucket = aws_s3_bucket.this.id
# fix:   versioning_configuration {
# fix:     status = "Enabled"
# fix:   }
# fix: }
# checkov: CKV_AWS_21
# references: CIS AWS 2.1.3; NIST CSF PR.IP-4
package posture.rules.aws_s3_004

import rego.v1

import data.posture.lib

findings contains {"id": b.id, "message": sprintf("bucket %s is not versioned", [b.address])} if {
	some b in lib.of("aws_s3_bucket")
	not versioned(b)
}

versioned(b) if {
	some v in lib.of("aws_s3_bucket_versioning")
	lib.refers(v, v.config.bucket, b)
	lib.block(v.config, "versioning_configuration").status == "Enabled"
}
