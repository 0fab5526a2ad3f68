# id: AWS-ES-002
# title: OpenSearch domains encrypt traffic between nodes
# description: Checks every `aws_opensearch_domain` (Terraform, plans and AWS exports). Expected: OpenSearch domains encrypt traffic between nodes. Set node_to_node_encryption.enabled = true.
# severity: medium
# remediation: Set node_to_node_encryption.enabled = true.
# fix:   node_to_node_encryption {
# fix:     enabled = true
# fix:   }
# checkov: CKV_AWS_6
# references: NIST CSF PR.DS-2
package posture.rules.aws_es_002

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: node_to_node_encryption.enabled is not true", [r.address])} if {
	some r in lib.of("aws_opensearch_domain")
	not object.get(lib.block(r.config, "node_to_node_encryption"), "enabled", null) == true
}
