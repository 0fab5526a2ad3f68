# id: AWS-EKS-004
# title: EKS node groups allow no SSH access
# description: Checks every `aws_eks_node_group` (Terraform, plans and AWS exports). Expected: EKS node groups allow no SSH access. Remove remote_access.ec2_ssh_key (reach nodes with SSM instead).
# severity: medium
# remediation: Remove remote_access.ec2_ssh_key (reach nodes with SSM instead).
# fix: # no remote_access.ec2_ssh_key
# checkov: CKV_AWS_100
# references: CIS EKS 3.1; NIST CSF PR.AC-5
package posture.rules.aws_eks_004

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: remote_access.ec2_ssh_key is set", [r.address])} if {
	some r in lib.of("aws_eks_node_group")
	object.get(lib.block(r.config, "remote_access"), "ec2_ssh_key", false)
}
