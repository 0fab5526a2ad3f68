# id: AWS-ES-001
# title: OpenSearch domains encrypt data at rest
# description: Checks every `aws_opensearch_domain` (Terraform, plans and AWS exports). Expected: OpenSearch domains encrypt data at rest. Set encrypt_at_rest.enabled = true.
# severity: high
# remediation: Set encrypt_at_rest.enabled = true.
# fix:   encrypt_at_rest {
# fix:     enabled = true
# fix:   }
# checkov: CKV_AWS_5
# references: NIST CSF PR.DS-1
package posture.rules.aws_es_001

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: encrypt_at_rest.enabled is not true", [r.address])} if {
	some r in lib.of("aws_opensearch_domain")
	not object.get(lib.block(r.config, "encrypt_at_rest"), "enabled", null) == true
}
