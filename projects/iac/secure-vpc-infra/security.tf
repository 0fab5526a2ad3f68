# Security groups and network ACLs: explicit flows only.
#   internet --443--> alb --app_port--> app --database_port--> data
#   app --443--> AWS APIs (interface endpoints in the VPC, the rest through NAT or the firewall)
# The one rule open to 0.0.0.0/0 is HTTPS into the load balancer (var.alb_ingress_cidrs).

resource "aws_security_group" "alb" {
  name        = "${var.name}-alb"
  description = "Load balancer: HTTPS from clients, forwards to the app tier"
  vpc_id      = aws_vpc.this.id
  tags        = merge(local.tags, { Name = "${var.name}-alb" })
  #checkov:skip=CKV2_AWS_5:Attached by the load balancer of the consuming stack (output alb_security_group_id)
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  for_each          = toset(var.alb_ingress_cidrs)
  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from clients (documented public entry point)"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  tags              = local.tags
}

resource "aws_vpc_security_group_egress_rule" "alb_to_app" {
  security_group_id            = aws_security_group.alb.id
  description                  = "Forward to the services"
  referenced_security_group_id = aws_security_group.app.id
  ip_protocol                  = "tcp"
  from_port                    = var.app_port
  to_port                      = var.app_port
  tags                         = local.tags
}

resource "aws_security_group" "app" {
  name        = "${var.name}-app"
  description = "Services: traffic from the load balancer only"
  vpc_id      = aws_vpc.this.id
  tags        = merge(local.tags, { Name = "${var.name}-app" })
  #checkov:skip=CKV2_AWS_5:Attached by the services of the consuming stack (output app_security_group_id)
}

resource "aws_vpc_security_group_ingress_rule" "app_from_alb" {
  security_group_id            = aws_security_group.app.id
  description                  = "Requests from the load balancer"
  referenced_security_group_id = aws_security_group.alb.id
  ip_protocol                  = "tcp"
  from_port                    = var.app_port
  to_port                      = var.app_port
  tags                         = local.tags
}

resource "aws_vpc_security_group_egress_rule" "app_https" {
  security_group_id = aws_security_group.app.id
  description       = "HTTPS to AWS APIs and allow-listed services"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  tags              = local.tags
}

resource "aws_vpc_security_group_egress_rule" "app_to_data" {
  security_group_id            = aws_security_group.app.id
  description                  = "Database connections"
  referenced_security_group_id = aws_security_group.data.id
  ip_protocol                  = "tcp"
  from_port                    = var.database_port
  to_port                      = var.database_port
  tags                         = local.tags
}

resource "aws_security_group" "data" {
  name        = "${var.name}-data"
  description = "Databases: connections from the app tier only, no egress"
  vpc_id      = aws_vpc.this.id
  tags        = merge(local.tags, { Name = "${var.name}-data" })
  #checkov:skip=CKV2_AWS_5:Attached by the database module (rds-postgresql-infra takes data_security_group_id)
}

resource "aws_vpc_security_group_ingress_rule" "data_from_app" {
  security_group_id            = aws_security_group.data.id
  description                  = "Database connections from the services"
  referenced_security_group_id = aws_security_group.app.id
  ip_protocol                  = "tcp"
  from_port                    = var.database_port
  to_port                      = var.database_port
  tags                         = local.tags
}

resource "aws_security_group" "endpoints" {
  name        = "${var.name}-endpoints"
  description = "Interface endpoints: HTTPS from inside the VPC"
  vpc_id      = aws_vpc.this.id
  tags        = merge(local.tags, { Name = "${var.name}-endpoints" })
}

resource "aws_vpc_security_group_ingress_rule" "endpoints_https" {
  security_group_id = aws_security_group.endpoints.id
  description       = "HTTPS from the VPC"
  cidr_ipv4         = var.cidr_block
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  tags              = local.tags
}

# ---------------------------------------------------------------- network ACLs (stateless)
# Return traffic uses the ephemeral range; 3389 is carved out so no ACL admits RDP from anywhere.

locals {
  ephemeral = [{ from = 1024, to = 3388 }, { from = 3390, to = 65535 }]

  nacl_rules = {
    public = [
      { egress = false, cidr = "0.0.0.0/0", from = 443, to = 443 },
      { egress = false, cidr = "0.0.0.0/0", from = 1024, to = 3388 },
      { egress = false, cidr = "0.0.0.0/0", from = 3390, to = 65535 },
      { egress = true, cidr = "0.0.0.0/0", from = 443, to = 443 },
      { egress = true, cidr = "0.0.0.0/0", from = 1024, to = 65535 },
      { egress = true, cidr = var.cidr_block, from = var.app_port, to = var.app_port },
    ]
    app = [
      { egress = false, cidr = var.cidr_block, from = var.app_port, to = var.app_port },
      { egress = false, cidr = var.cidr_block, from = 443, to = 443 },
      { egress = false, cidr = "0.0.0.0/0", from = 1024, to = 3388 },
      { egress = false, cidr = "0.0.0.0/0", from = 3390, to = 65535 },
      { egress = true, cidr = "0.0.0.0/0", from = 443, to = 443 },
      { egress = true, cidr = var.cidr_block, from = var.database_port, to = var.database_port },
      { egress = true, cidr = var.cidr_block, from = 1024, to = 65535 },
    ]
    data = concat(
      [for az, cidr in local.subnet_cidrs.app : { egress = false, cidr = cidr, from = var.database_port, to = var.database_port }],
      [for az, cidr in local.subnet_cidrs.app : { egress = true, cidr = cidr, from = 1024, to = 65535 }],
    )
    security = [
      { egress = false, cidr = var.cidr_block, from = 443, to = 443 },
      { egress = false, cidr = var.cidr_block, from = 80, to = 80 },
      { egress = false, cidr = "0.0.0.0/0", from = 1024, to = 3388 },
      { egress = false, cidr = "0.0.0.0/0", from = 3390, to = 65535 },
      { egress = true, cidr = "0.0.0.0/0", from = 443, to = 443 },
      { egress = true, cidr = "0.0.0.0/0", from = 80, to = 80 },
      { egress = true, cidr = var.cidr_block, from = 1024, to = 65535 },
    ]
  }
  nacl_subnets = {
    public   = [for s in aws_subnet.public : s.id]
    app      = [for s in aws_subnet.app : s.id]
    data     = [for s in aws_subnet.data : s.id]
    security = [for s in aws_subnet.security : s.id]
  }
  nacl_rule_list = merge([
    for tier, rules in local.nacl_rules : {
      for i, r in rules : "${tier}-${i}" => merge(r, { tier = tier, number = 100 + 10 * i })
    }
  ]...)
}

resource "aws_network_acl" "tier" {
  for_each   = local.nacl_subnets
  vpc_id     = aws_vpc.this.id
  subnet_ids = each.value
  tags       = merge(local.tags, { Name = "${var.name}-${each.key}" })
}

resource "aws_network_acl_rule" "tier" {
  for_each       = local.nacl_rule_list
  network_acl_id = aws_network_acl.tier[each.value.tier].id
  rule_number    = each.value.number
  egress         = each.value.egress
  protocol       = "tcp"
  rule_action    = "allow"
  cidr_block     = each.value.cidr
  from_port      = each.value.from
  to_port        = each.value.to
}
