# id: AWS-CF-003
# title: CloudFront distributions have a WAF web ACL
# description: Checks every `aws_cloudfront_distribution` (Terraform, plans and AWS exports). Expected: CloudFront distributions have a WAF web ACL. Set web_acl_id.
# severity: medium
# remediation: Set web_acl_id.
# fix:   web_acl_id = "arn:aws:wafv2:us-east-1:111122223333:global/webacl/site/abc"
# checkov: CKV_AWS_68
# references: NIST CSF PR.PT-4
package posture.rules.aws_cf_003

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: web_acl_id is not set", [r.address])} if {
	some r in lib.of("aws_cloudfront_distribution")
	not object.get(r.config, "web_acl_id", false)
}
