# id: AWS-CF-001
# title: CloudFront distributions require HTTPS
# description: Checks every `aws_cloudfront_distribution` (Terraform, plans and AWS exports). Expected: CloudFront distributions require HTTPS. Set viewer_protocol_policy to redirect-to-https or https-only in every cache behaviour.
# severity: high
# remediation: Set viewer_protocol_policy to redirect-to-https or https-only in every cache behaviour.
# fix:     viewer_protocol_policy = "redirect-to-https"
# checkov: CKV_AWS_34
# references: NIST CSF PR.DS-2
package posture.rules.aws_cf_001

import rego.v1

import data.posture.lib

findings contains {"id": d.id, "message": sprintf("%s serves plain HTTP", [d.address])} if {
	some d in lib.of("aws_cloudfront_distribution")
	some key in ["default_cache_behavior", "ordered_cache_behavior"]
	some b in object.get(d.config, key, [])
	b.viewer_protocol_policy == "allow-all"
}
