# id: AWS-EKS-001
# title: EKS cluster endpoints are private
# description: Checks every `aws_eks_cluster` (Terraform, plans and AWS exports). Expected: EKS cluster endpoints are private. Set vpc_config { endpoint_public_access = false, endpoint_private_access = true } (or restrict public_access_cidrs).
# severity: high
# remediation: Set vpc_config { endpoint_public_access = false, endpoint_private_access = true } (or restrict public_access_cidrs).
# fix:   vpc_config {
# fix:     endpoint_private_access = true
# fix:     endpoint_public_access  = false
# fix:   }
# checkov: CKV_AWS_39
# references: CIS EKS 5.4.2; NIST CSF PR.AC-5
package posture.rules.aws_eks_001

import rego.v1

import data.posture.lib

findings contains {"id": c.id, "message": sprintf("%s has a public API endpoint open to the internet", [c.address])} if {
	some c in lib.of("aws_eks_cluster")
	v := lib.block(c.config, "vpc_config")
	object.get(v, "endpoint_public_access", true) == true
	object.get(v, "public_access_cidrs", ["0.0.0.0/0"])[_] == "0.0.0.0/0"
}
