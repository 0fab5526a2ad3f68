# id: AWS-EKS-002
# title: EKS clusters encrypt secrets with KMS
# description: Checks every `aws_eks_cluster` (Terraform, plans and AWS exports). Expected: EKS clusters encrypt secrets with KMS. Set encryption_config.resources (encryption_config with resources = ["secrets"] and a KMS key).
# severity: high
# remediation: Set encryption_config.resources (encryption_config with resources = ["secrets"] and a KMS key).
# fix:   encryption_config {
# fix:     resources = ["secrets"]
# fix:   }
# checkov: CKV_AWS_58
# references: CIS EKS 5.3.1; NIST CSF PR.DS-1
package posture.rules.aws_eks_002

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: encryption_config.resources is not set", [r.address])} if {
	some r in lib.of("aws_eks_cluster")
	not object.get(lib.block(r.config, "encryption_config"), "resources", false)
}
