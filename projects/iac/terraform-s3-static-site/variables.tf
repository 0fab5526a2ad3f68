variable "name" {
  description = "Name prefix; the buckets are <name>-site-<account> and <name>-logs-<account>."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 characters of lower case letters, digits and dashes, starting with a letter."
  }
}

variable "domain_name" {
  description = "Custom domain of the site (e.g. app.example.org), or null to use the CloudFront domain."
  type        = string
  default     = null

  validation {
    condition     = var.domain_name == null || can(regex("^([a-z0-9-]+\\.)+[a-z]{2,}$", var.domain_name))
    error_message = "domain_name must be a lower case DNS name."
  }
}

variable "hosted_zone_id" {
  description = "Route 53 zone of domain_name, for certificate validation and the alias records (required with domain_name)."
  type        = string
  default     = null
}

variable "price_class" {
  description = "CloudFront price class."
  type        = string
  default     = "PriceClass_100"

  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.price_class)
    error_message = "price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

variable "geo_restriction_locations" {
  description = "ISO country codes the site is served to (whitelist); empty serves everywhere."
  type        = list(string)
  default     = []
}

variable "enable_waf" {
  description = "Attach a WAF web ACL with AWS managed rule groups and a rate limit."
  type        = bool
  default     = true
}

variable "waf_rate_limit" {
  description = "Requests per 5 minutes from one IP before WAF blocks it."
  type        = number
  default     = 2000

  validation {
    condition     = var.waf_rate_limit >= 100
    error_message = "waf_rate_limit must be at least 100 (AWS's minimum)."
  }
}

variable "content_security_policy" {
  description = "Content-Security-Policy header sent with every response."
  type        = string
  default     = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
}

variable "noncurrent_version_days" {
  description = "Days old object versions are kept (rollback window of a deploy)."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_days >= 1
    error_message = "noncurrent_version_days must be at least 1."
  }
}

variable "log_retention_days" {
  description = "Days access logs are kept before expiry."
  type        = number
  default     = 365

  validation {
    condition     = var.log_retention_days >= 90
    error_message = "log_retention_days must be at least 90."
  }
}

variable "tags" {
  description = "Tags on every resource; must include team, cost-center and data-classification."
  type        = map(string)

  validation {
    condition     = alltrue([for k in ["team", "cost-center", "data-classification"] : contains(keys(var.tags), k)])
    error_message = "tags must include team, cost-center and data-classification."
  }
}
