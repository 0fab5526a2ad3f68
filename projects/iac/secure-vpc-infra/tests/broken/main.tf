# A deliberately broken copy: SSH open to the internet, by a security group rule and a network
# ACL. `make test` proves iac-checks (TF020, TF021) and checkov (CKV_AWS_24, CKV_AWS_232) reject it.
resource "aws_security_group" "bastion" {
  name        = "bastion"
  description = "Bastion host"
  vpc_id      = "vpc-0123456789abcdef0"
  tags        = { team = "team-cloud", cost-center = "cc-1042", data-classification = "internal" }
}

resource "aws_vpc_security_group_ingress_rule" "ssh" {
  security_group_id = aws_security_group.bastion.id
  description       = "SSH from anywhere"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
  tags              = { team = "team-cloud", cost-center = "cc-1042", data-classification = "internal" }
}

resource "aws_network_acl" "public" {
  vpc_id = "vpc-0123456789abcdef0"
  tags   = { team = "team-cloud", cost-center = "cc-1042", data-classification = "internal" }
}

resource "aws_network_acl_rule" "ssh" {
  network_acl_id = aws_network_acl.public.id
  rule_number    = 100
  egress         = false
  protocol       = "tcp"
  rule_action    = "allow"
  cidr_block     = "0.0.0.0/0"
  from_port      = 22
  to_port        = 22
}
