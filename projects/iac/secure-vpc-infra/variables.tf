variable "name" {
  description = "Name prefix of every resource (lower case letters, digits and dashes)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 characters of lower case letters, digits and dashes, starting with a letter."
  }
}

variable "cidr_block" {
  description = "IPv4 CIDR of the VPC; a /16 to /20. Each of the 12 subnets gets 1/16 of it."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrhost(var.cidr_block, 0)) && tonumber(split("/", var.cidr_block)[1]) >= 16 && tonumber(split("/", var.cidr_block)[1]) <= 20
    error_message = "cidr_block must be a valid IPv4 CIDR between /16 and /20."
  }
}

variable "availability_zones" {
  description = "Exactly three availability zones of the region, e.g. [\"eu-west-1a\", \"eu-west-1b\", \"eu-west-1c\"]."
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) == 3 && length(distinct(var.availability_zones)) == 3
    error_message = "availability_zones must list three distinct zones."
  }
}

variable "single_nat_gateway" {
  description = "One NAT gateway for all zones (cheaper, for dev) instead of one per zone."
  type        = bool
  default     = false
}

variable "app_port" {
  description = "TCP port the services listen on behind the load balancer."
  type        = number
  default     = 8000

  validation {
    condition     = var.app_port >= 1024 && var.app_port <= 65535
    error_message = "app_port must be an unprivileged port (1024-65535)."
  }
}

variable "database_port" {
  description = "TCP port of the databases in the data tier."
  type        = number
  default     = 5432

  validation {
    condition     = var.database_port >= 1024 && var.database_port <= 65535
    error_message = "database_port must be between 1024 and 65535."
  }
}

variable "alb_ingress_cidrs" {
  description = "Client CIDRs allowed to reach the load balancer on 443. The only rule that may be 0.0.0.0/0 (documented in the README)."
  type        = list(string)
  default     = ["0.0.0.0/0"]

  validation {
    condition     = alltrue([for c in var.alb_ingress_cidrs : can(cidrhost(c, 0))])
    error_message = "alb_ingress_cidrs must hold valid IPv4 CIDRs."
  }
}

variable "interface_endpoints" {
  description = "AWS services reached through interface endpoints in the app tier (no traffic over the internet)."
  type        = set(string)
  default     = ["secretsmanager", "ecr.api", "ecr.dkr", "sts", "logs", "kms"]

  validation {
    condition     = alltrue([for s in var.interface_endpoints : contains(["secretsmanager", "ecr.api", "ecr.dkr", "sts", "logs", "kms", "ssm", "monitoring"], s)])
    error_message = "interface_endpoints may hold: secretsmanager, ecr.api, ecr.dkr, sts, logs, kms, ssm, monitoring."
  }
}

variable "flow_log_retention_days" {
  description = "Days the VPC flow logs are kept in CloudWatch Logs (at least a year)."
  type        = number
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_log_retention_days)
    error_message = "flow_log_retention_days must be a CloudWatch retention value of at least 365."
  }
}

variable "enable_network_firewall" {
  description = "Route the app tier's egress through AWS Network Firewall in the security tier (central egress with a domain allow list)."
  type        = bool
  default     = false
}

variable "egress_allowed_domains" {
  description = "Domains the app tier may reach when the Network Firewall is on (e.g. \".amazonaws.com\")."
  type        = list(string)
  default     = [".amazonaws.com"]
}

variable "kms_deletion_window_days" {
  description = "Waiting period before the module's KMS key is deleted."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30
    error_message = "kms_deletion_window_days must be between 7 and 30."
  }
}

variable "tags" {
  description = "Tags on every resource; must include team, cost-center and data-classification."
  type        = map(string)

  validation {
    condition     = alltrue([for k in ["team", "cost-center", "data-classification"] : contains(keys(var.tags), k)])
    error_message = "tags must include team, cost-center and data-classification."
  }

  validation {
    condition     = contains(["public", "internal", "confidential", "restricted"], lookup(var.tags, "data-classification", ""))
    error_message = "tags[\"data-classification\"] must be public, internal, confidential or restricted."
  }
}
