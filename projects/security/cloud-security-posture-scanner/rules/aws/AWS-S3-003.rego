# id: AWS-S3-003
# title: S3 bucket ACLs are not public
# description: Checks every `aws_s3_bucket`, `aws_s3_bucket_acl` (Terraform, plans and AWS exports). Expected: S3 bucket ACLs are not public. Remove the public-read / public-read-write ACL; serve public content through CloudFront with origin access control.
# severity: critical
# remediation: Remove the public-read / public-read-write ACL; serve public content through CloudFront with origin access control.
# fix: resource "aws_s3_bucket_acl" "this" {
# fix:   bucket = aws_s3_bucket.this.id
# fix:   acl    = "private"
# fix: }
# checkov: CKV_AWS_20, CKV_AWS_57
# references: CIS AWS 2.1.4; NIST CSF PR.AC-3
package posture.rules.aws_s3_003

import rego.v1

import data.posture.lib

findings contains {"id": a.id, "message": sprintf("%s grants %s", [a.address, a.config.acl])} if {
	some a in lib.of("aws_s3_bucket_acl")
	a.config.acl in {"public-read", "public-read-write", "authenticated-read"}
}

findings contains {"id": b.id, "message": sprintf("%s grants %s", [b.address, b.config.acl])} if {
	some b in lib.of("aws_s3_bucket")
	object.get(b.config, "acl", "private") in {"public-read", "public-read-write", "authenticated-read"}
}
