variable "name" {
  description = "Identifier of the database instance and prefix of its companions."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}[a-z0-9]$", var.name))
    error_message = "name must be 3-42 characters of lower case letters, digits and dashes, starting with a letter."
  }
}

variable "vpc_id" {
  description = "VPC the database lives in (secure-vpc-infra output vpc_id)."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must look like vpc-0123abcd."
  }
}

variable "data_subnet_ids" {
  description = "Private data-tier subnets in at least two zones (secure-vpc-infra output data_subnet_ids)."
  type        = list(string)

  validation {
    condition     = length(var.data_subnet_ids) >= 2
    error_message = "data_subnet_ids needs subnets in at least two availability zones for Multi-AZ."
  }
}

variable "data_security_group_id" {
  description = "Security group of the data tier that admits the services (secure-vpc-infra output data_security_group_id)."
  type        = string

  validation {
    condition     = can(regex("^sg-[0-9a-f]+$", var.data_security_group_id))
    error_message = "data_security_group_id must look like sg-0123abcd."
  }
}

variable "engine_version" {
  description = "PostgreSQL major.minor version."
  type        = string
  default     = "16.4"

  validation {
    condition     = can(regex("^1[4-7]\\.[0-9]+$", var.engine_version))
    error_message = "engine_version must be PostgreSQL 14 to 17, as MAJOR.MINOR."
  }
}

variable "instance_class" {
  description = "Instance class, e.g. db.t4g.medium (dev) or db.r7g.large (prod)."
  type        = string
  default     = "db.t4g.medium"

  validation {
    condition     = startswith(var.instance_class, "db.")
    error_message = "instance_class must start with db."
  }
}

variable "allocated_storage_gb" {
  description = "Initial storage in GiB (gp3)."
  type        = number
  default     = 50

  validation {
    condition     = var.allocated_storage_gb >= 20 && var.allocated_storage_gb <= 65536
    error_message = "allocated_storage_gb must be between 20 and 65536."
  }
}

variable "max_allocated_storage_gb" {
  description = "Ceiling for storage autoscaling in GiB (at least allocated_storage_gb)."
  type        = number
  default     = 500
}

variable "database_name" {
  description = "Name of the initial database."
  type        = string
  default     = "portfolio"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.database_name))
    error_message = "database_name must be a lower case PostgreSQL identifier."
  }
}

variable "master_username" {
  description = "Master user name; its password is generated and kept in Secrets Manager by RDS."
  type        = string
  default     = "portfolio_admin"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{2,15}$", var.master_username)) && !contains(["postgres", "admin", "rdsadmin"], var.master_username)
    error_message = "master_username must be 3-16 lower case characters and not a reserved name."
  }
}

variable "multi_az" {
  description = "Synchronous standby in a second zone with automatic failover."
  type        = bool
  default     = true
}

variable "backup_retention_days" {
  description = "Days of automated backups (point-in-time recovery window)."
  type        = number
  default     = 14

  validation {
    condition     = var.backup_retention_days >= 7 && var.backup_retention_days <= 35
    error_message = "backup_retention_days must be between 7 and 35."
  }
}

variable "backup_window" {
  description = "Daily backup window (UTC), hh24:mi-hh24:mi."
  type        = string
  default     = "02:00-03:00"
}

variable "maintenance_window" {
  description = "Weekly maintenance window (UTC), ddd:hh24:mi-ddd:hh24:mi."
  type        = string
  default     = "sun:03:30-sun:04:30"
}

variable "cross_region_backup" {
  description = "Copy automated backups to the aws.replica provider's region."
  type        = bool
  default     = false
}

variable "replica_kms_key_arn" {
  description = "KMS key in the replica region for the copied backups (required when cross_region_backup is on)."
  type        = string
  default     = null
}

variable "slow_query_ms" {
  description = "Statements slower than this are logged (log_min_duration_statement)."
  type        = number
  default     = 500

  validation {
    condition     = var.slow_query_ms >= 50
    error_message = "slow_query_ms must be at least 50 (lower floods the log)."
  }
}

variable "performance_insights_retention_days" {
  description = "Performance Insights retention: 7 (free tier) or a multiple of 31 up to 731."
  type        = number
  default     = 7

  validation {
    condition     = var.performance_insights_retention_days == 7 || (var.performance_insights_retention_days % 31 == 0 && var.performance_insights_retention_days <= 731)
    error_message = "performance_insights_retention_days must be 7 or a multiple of 31 up to 731."
  }
}

variable "monitoring_interval_seconds" {
  description = "Enhanced Monitoring granularity in seconds."
  type        = number
  default     = 60

  validation {
    condition     = contains([1, 5, 10, 15, 30, 60], var.monitoring_interval_seconds)
    error_message = "monitoring_interval_seconds must be 1, 5, 10, 15, 30 or 60."
  }
}

variable "read_replica_count" {
  description = "Read replicas in the same region (each gets a replica-lag alarm)."
  type        = number
  default     = 0

  validation {
    condition     = var.read_replica_count >= 0 && var.read_replica_count <= 5
    error_message = "read_replica_count must be between 0 and 5."
  }
}

variable "alarm_thresholds" {
  description = "CloudWatch alarm thresholds."
  type = object({
    cpu_percent         = optional(number, 80)
    free_storage_gb     = optional(number, 10)
    connections         = optional(number, 400)
    replica_lag_seconds = optional(number, 60)
  })
  default = {}
}

variable "alarm_emails" {
  description = "Addresses subscribed to the alarm topic (they confirm by email)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.alarm_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "alarm_emails must hold email addresses."
  }
}

variable "deletion_protection" {
  description = "Refuse deletion of the instance (turn off explicitly before decommissioning)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags on every resource; must include team, cost-center and data-classification."
  type        = map(string)

  validation {
    condition     = alltrue([for k in ["team", "cost-center", "data-classification"] : contains(keys(var.tags), k)])
    error_message = "tags must include team, cost-center and data-classification."
  }
}
