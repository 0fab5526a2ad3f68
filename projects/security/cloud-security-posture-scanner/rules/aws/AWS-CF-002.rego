# id: AWS-CF-002
# title: CloudFront uses TLS 1.2 or later
# description: Checks every `aws_cloudfront_distribution` (Terraform, plans and AWS exports). Expected: CloudFront uses TLS 1.2 or later. Set viewer_certificate.minimum_protocol_version = "TLSv1.2_2021".
# severity: medium
# remediation: Set viewer_certificate.minimum_protocol_version = "TLSv1.2_2021".
# fix:   viewer_certificate {
# fix:     minimum_protocol_version = "TLSv1.2_2021"
# fix:   }
# checkov: CKV_AWS_174
# references: NIST CSF PR.DS-2
package posture.rules.aws_cf_002

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: viewer_certificate.minimum_protocol_version is not TLSv1.2_2021", [r.address])} if {
	some r in lib.of("aws_cloudfront_distribution")
	not object.get(lib.block(r.config, "viewer_certificate"), "minimum_protocol_version", null) == "TLSv1.2_2021"
}
