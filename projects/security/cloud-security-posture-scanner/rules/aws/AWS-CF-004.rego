# id: AWS-CF-004
# title: CloudFront distributions log requests
# description: Checks every `aws_cloudfront_distribution` (Terraform, plans and AWS exports). Expected: CloudFront distributions log requests. Set logging_config.bucket.
# severity: low
# remediation: Set logging_config.bucket.
# fix:   logging_config {
# fix:     bucket = "acme-logs.s3.amazonaws.com"
# fix:   }
# checkov: CKV_AWS_86
# references: NIST CSF DE.CM-1
package posture.rules.aws_cf_004

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: logging_config.bucket is not set", [r.address])} if {
	some r in lib.of("aws_cloudfront_distribution")
	not object.get(lib.block(r.config, "logging_config"), "bucket", false)
}
