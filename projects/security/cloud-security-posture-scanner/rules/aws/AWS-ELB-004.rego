# id: AWS-ELB-004
# title: Load balancer listeners do not serve plain HTTP
# description: Checks every `aws_lb_listener` (Terraform, plans and AWS exports). Expected: Load balancer listeners do not serve plain HTTP. Serve HTTPS; make the HTTP listener redirect to it.
# severity: high
# remediation: Serve HTTPS; make the HTTP listener redirect to it.
# fix: default_action {
# fix:   type = "redirect"
# fix:   redirect {
# fix:     port        = "443"
# fix:     protocol    = "HTTPS"
# fix:     status_code = "HTTP_301"
# fix:   }
# fix: }
# checkov: CKV_AWS_2
# references: NIST CSF PR.DS-2
package posture.rules.aws_elb_004

import rego.v1

import data.posture.lib

findings contains {"id": l.id, "message": sprintf("%s forwards plain HTTP", [l.address])} if {
	some l in lib.of("aws_lb_listener")
	object.get(l.config, "protocol", "HTTP") == "HTTP"
	some a in object.get(l.config, "default_action", [])
	a.type != "redirect"
}
