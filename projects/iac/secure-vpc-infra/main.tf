data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  tags  = merge(var.tags, { "managed-by" = "terraform", "module" = "secure-vpc-infra" })
  azs   = var.availability_zones
  zones = { for i, az in local.azs : az => i }

  # Twelve equal subnets: index 0-2 public, 3-5 app, 6-8 data, 9-11 security.
  tiers = {
    public   = 0
    app      = 3
    data     = 6
    security = 9
  }
  subnet_cidrs = {
    for tier, base in local.tiers : tier => {
      for az, i in local.zones : az => cidrsubnet(var.cidr_block, 4, base + i)
    }
  }
  nat_zones = var.single_nat_gateway ? [local.azs[0]] : local.azs
  # The NAT gateway each zone's private subnets use.
  nat_for = { for az in local.azs : az => var.single_nat_gateway ? local.azs[0] : az }
  # Network Firewall endpoint per zone, when the firewall is on.
  firewall_endpoints = var.enable_network_firewall ? {
    for s in aws_networkfirewall_firewall.this[0].firewall_status[0].sync_states : s.availability_zone => s.attachment[0].endpoint_id
  } : {}
}

resource "aws_vpc" "this" {
  cidr_block           = var.cidr_block
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = merge(local.tags, { Name = var.name })
}

# The default security group denies everything: nothing may use it by accident.
resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id
  tags   = merge(local.tags, { Name = "${var.name}-default-deny" })
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id
  tags   = merge(local.tags, { Name = var.name })
}

resource "aws_subnet" "public" {
  for_each                = local.subnet_cidrs.public
  vpc_id                  = aws_vpc.this.id
  availability_zone       = each.key
  cidr_block              = each.value
  map_public_ip_on_launch = false
  tags                    = merge(local.tags, { Name = "${var.name}-public-${each.key}", tier = "public" })
}

resource "aws_subnet" "app" {
  for_each          = local.subnet_cidrs.app
  vpc_id            = aws_vpc.this.id
  availability_zone = each.key
  cidr_block        = each.value
  tags              = merge(local.tags, { Name = "${var.name}-app-${each.key}", tier = "private-app" })
}

resource "aws_subnet" "data" {
  for_each          = local.subnet_cidrs.data
  vpc_id            = aws_vpc.this.id
  availability_zone = each.key
  cidr_block        = each.value
  tags              = merge(local.tags, { Name = "${var.name}-data-${each.key}", tier = "private-data" })
}

resource "aws_subnet" "security" {
  for_each          = local.subnet_cidrs.security
  vpc_id            = aws_vpc.this.id
  availability_zone = each.key
  cidr_block        = each.value
  tags              = merge(local.tags, { Name = "${var.name}-security-${each.key}", tier = "security-services" })
}

# ---------------------------------------------------------------- NAT and routing

resource "aws_eip" "nat" {
  for_each = toset(local.nat_zones)
  domain   = "vpc"
  tags     = merge(local.tags, { Name = "${var.name}-nat-${each.key}" })
  #checkov:skip=CKV2_AWS_19:The address belongs to the NAT gateway below, not to an instance
}

resource "aws_nat_gateway" "this" {
  for_each      = toset(local.nat_zones)
  allocation_id = aws_eip.nat[each.key].id
  subnet_id     = aws_subnet.public[each.key].id
  tags          = merge(local.tags, { Name = "${var.name}-nat-${each.key}" })
  depends_on    = [aws_internet_gateway.this]
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id
  tags   = merge(local.tags, { Name = "${var.name}-public" })
}

resource "aws_route" "public_internet" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this.id
}

# With the firewall on, return traffic to the app tier goes back through it (symmetric routing).
resource "aws_route" "public_to_app_via_firewall" {
  for_each               = var.enable_network_firewall ? local.subnet_cidrs.app : {}
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = each.value
  vpc_endpoint_id        = local.firewall_endpoints[each.key]
}

resource "aws_route_table_association" "public" {
  for_each       = aws_subnet.public
  subnet_id      = each.value.id
  route_table_id = aws_route_table.public.id
}

resource "aws_route_table" "app" {
  for_each = toset(local.azs)
  vpc_id   = aws_vpc.this.id
  tags     = merge(local.tags, { Name = "${var.name}-app-${each.key}" })
}

resource "aws_route" "app_egress" {
  for_each               = toset(local.azs)
  route_table_id         = aws_route_table.app[each.key].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = var.enable_network_firewall ? null : aws_nat_gateway.this[local.nat_for[each.key]].id
  vpc_endpoint_id        = var.enable_network_firewall ? local.firewall_endpoints[each.key] : null
}

resource "aws_route_table_association" "app" {
  for_each       = aws_subnet.app
  subnet_id      = each.value.id
  route_table_id = aws_route_table.app[each.key].id
}

# The data tier has no route to the internet at all: only the VPC and gateway endpoints.
resource "aws_route_table" "data" {
  vpc_id = aws_vpc.this.id
  tags   = merge(local.tags, { Name = "${var.name}-data" })
}

resource "aws_route_table_association" "data" {
  for_each       = aws_subnet.data
  subnet_id      = each.value.id
  route_table_id = aws_route_table.data.id
}

resource "aws_route_table" "security" {
  for_each = toset(local.azs)
  vpc_id   = aws_vpc.this.id
  tags     = merge(local.tags, { Name = "${var.name}-security-${each.key}" })
}

resource "aws_route" "security_egress" {
  for_each               = toset(local.azs)
  route_table_id         = aws_route_table.security[each.key].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[local.nat_for[each.key]].id
}

resource "aws_route_table_association" "security" {
  for_each       = aws_subnet.security
  subnet_id      = each.value.id
  route_table_id = aws_route_table.security[each.key].id
}

# ---------------------------------------------------------------- endpoints

resource "aws_vpc_endpoint" "gateway" {
  for_each          = toset(["s3", "dynamodb"])
  vpc_id            = aws_vpc.this.id
  service_name      = "com.amazonaws.${data.aws_region.current.name}.${each.key}"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = concat([for rt in aws_route_table.app : rt.id], [aws_route_table.data.id])
  tags              = merge(local.tags, { Name = "${var.name}-${each.key}" })
}

resource "aws_vpc_endpoint" "interface" {
  for_each            = var.interface_endpoints
  vpc_id              = aws_vpc.this.id
  service_name        = "com.amazonaws.${data.aws_region.current.name}.${each.key}"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = [for s in aws_subnet.app : s.id]
  security_group_ids  = [aws_security_group.endpoints.id]
  tags                = merge(local.tags, { Name = "${var.name}-${replace(each.key, ".", "-")}" })
}
