# id: AWS-EKS-003
# title: EKS clusters log the control plane
# description: Checks every `aws_eks_cluster` (Terraform, plans and AWS exports). Expected: EKS clusters log the control plane. Set enabled_cluster_log_types.
# severity: medium
# remediation: Set enabled_cluster_log_types.
# fix:   enabled_cluster_log_types = ["api", "audit", "authenticator"]
# checkov: CKV_AWS_37
# references: CIS EKS 2.1.1; NIST CSF DE.CM-1
package posture.rules.aws_eks_003

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: enabled_cluster_log_types is not set", [r.address])} if {
	some r in lib.of("aws_eks_cluster")
	not object.get(r.config, "enabled_cluster_log_types", false)
}
