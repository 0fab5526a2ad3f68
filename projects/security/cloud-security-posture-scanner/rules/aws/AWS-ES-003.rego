# id: AWS-ES-003
# title: OpenSearch domains require HTTPS
# description: Checks every `aws_opensearch_domain` (Terraform, plans and AWS exports). Expected: OpenSearch domains require HTTPS. Set domain_endpoint_options.enforce_https = true.
# severity: high
# remediation: Set domain_endpoint_options.enforce_https = true.
# fix:   domain_endpoint_options {
# fix:     enforce_https = true
# fix:   }
# checkov: CKV_AWS_83
# references: NIST CSF PR.DS-2
package posture.rules.aws_es_003

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: domain_endpoint_options.enforce_https is not true", [r.address])} if {
	some r in lib.of("aws_opensearch_domain")
	not object.get(lib.block(r.config, "domain_endpoint_options"), "enforce_https", null) == true
}
