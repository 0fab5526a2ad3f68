# id: AWS-SG-001
# title: Security groups do not open SSH (port 22) to the internet
# description: Checks the scanned resources (Terraform, plans and AWS exports). Expected: Security groups do not open SSH (port 22) to the internet. Reach instances through SSM Session Manager or a bastion; allow port 22 from known ranges only.
# severity: critical
# remediation: Reach instances through SSM Session Manager or a bastion; allow port 22 from known ranges only.
# fix:   ingress {
# fix:     from_port   = 22
# fix:     to_port     = 22
# fix:     protocol    = "tcp"
# fix:     cidr_blocks = ["10.0.0.0/8"]
# fix:   }
# checkov: CKV_AWS_24
# references: CIS AWS 5.2; NIST CSF PR.AC-5
package posture.rules.aws_sg_001

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s allows SSH (port 22) from %s", [r.address, cidr])} if {
	some [r, from, to, cidr] in lib.open_ingress
	lib.covers(from, to, 22)
}
