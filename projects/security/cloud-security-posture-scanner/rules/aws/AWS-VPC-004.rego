# id: AWS-VPC-004
# title: Network ACLs do not open SSH or RDP to the internet
# description: Checks every `aws_network_acl_rule` (Terraform, plans and AWS exports). Expected: Network ACLs do not open SSH or RDP to the internet. Allow 22 and 3389 from known ranges only.
# severity: high
# remediation: Allow 22 and 3389 from known ranges only.
# fix: cidr_block = "10.0.0.0/8"
# checkov: CKV_AWS_232
# references: CIS AWS 5.1; NIST CSF PR.AC-5
package posture.rules.aws_vpc_004

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s allows port %v from %s", [r.address, port, r.config.cidr_block])} if {
	some r in lib.of("aws_network_acl_rule")
	not object.get(r.config, "egress", false)
	r.config.rule_action == "allow"
	r.config.cidr_block == "0.0.0.0/0"
	some port in [22, 3389]
	lib.covers(object.get(r.config, "from_port", 0), object.get(r.config, "to_port", 65535), port)
}
