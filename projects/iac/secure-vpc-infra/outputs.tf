output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr_block" {
  description = "IPv4 CIDR of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "public_subnet_ids" {
  description = "Public subnets (load balancers, NAT gateways), one per zone."
  value       = [for az in var.availability_zones : aws_subnet.public[az].id]
}

output "app_subnet_ids" {
  description = "Private app subnets (services), one per zone."
  value       = [for az in var.availability_zones : aws_subnet.app[az].id]
}

output "data_subnet_ids" {
  description = "Private data subnets (databases, no internet route), one per zone."
  value       = [for az in var.availability_zones : aws_subnet.data[az].id]
}

output "security_subnet_ids" {
  description = "Security-services subnets (Network Firewall endpoints), one per zone."
  value       = [for az in var.availability_zones : aws_subnet.security[az].id]
}

output "alb_security_group_id" {
  description = "Security group for the load balancer (HTTPS in, app port out)."
  value       = aws_security_group.alb.id
}

output "app_security_group_id" {
  description = "Security group for the services."
  value       = aws_security_group.app.id
}

output "data_security_group_id" {
  description = "Security group for the databases (used by rds-postgresql-infra)."
  value       = aws_security_group.data.id
}

output "nat_gateway_public_ips" {
  description = "Public egress addresses, for allow lists of third parties."
  value       = [for eip in aws_eip.nat : eip.public_ip]
}

output "flow_log_group_name" {
  description = "CloudWatch log group holding the VPC flow logs."
  value       = aws_cloudwatch_log_group.flow_logs.name
}

output "kms_key_arn" {
  description = "Customer-managed key encrypting the flow logs and firewall."
  value       = aws_kms_key.this.arn
}

output "network_firewall_arn" {
  description = "ARN of the Network Firewall, or null when it is off."
  value       = var.enable_network_firewall ? aws_networkfirewall_firewall.this[0].arn : null
}
