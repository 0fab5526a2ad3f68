# id: AWS-S3-005
# title: S3 buckets are encrypted with KMS keys
# description: Checks every `aws_s3_bucket`, `aws_s3_bucket_server_side_encryption_configuration` (Terraform, plans and AWS exports). Expected: S3 buckets are encrypted with KMS keys. Add an aws_s3_bucket_server_side_encryption_configuration with sse_algorithm aws:kms and a customer managed key.
# severity: high
# remediation: Add an aws_s3_bucket_server_side_encryption_configuration with sse_algorithm aws:kms and a customer managed key.
# fix: rule {
# fix:   apply_server_side_encryption_by_default {
# fix:     sse_algorithm     = "aws:kms"
# fix:     kms_master_key_id = aws_kms_key.this.arn
# fix:   }
# fix: }
# checkov: CKV_AWS_145
# references: CIS AWS 2.1.1; NIST CSF PR.DS-1
package posture.rules.aws_s3_005

import rego.v1

import data.posture.lib

findings contains {"id": b.id, "message": sprintf("bucket %s has no KMS encryption configuration", [b.address])} if {
	some b in lib.of("aws_s3_bucket")
	not kms(b)
}

kms(b) if {
	some e in lib.of("aws_s3_bucket_server_side_encryption_configuration")
	lib.refers(e, e.config.bucket, b)
	some r in e.config.rule
	some d in r.apply_server_side_encryption_by_default
	d.sse_algorithm in {"aws:kms", "aws:kms:dsse"}
}
