output "bucket_name" {
  description = "Bucket the deploy step uploads the built site to (aws s3 sync dist/ s3://<bucket_name>/)."
  value       = aws_s3_bucket.site.id
}

output "bucket_arn" {
  description = "ARN of the site bucket, for the deploy role's policy."
  value       = aws_s3_bucket.site.arn
}

output "distribution_id" {
  description = "CloudFront distribution to invalidate after a deploy (aws cloudfront create-invalidation)."
  value       = aws_cloudfront_distribution.this.id
}

output "distribution_arn" {
  description = "ARN of the distribution, for the deploy role's cloudfront:CreateInvalidation."
  value       = aws_cloudfront_distribution.this.arn
}

output "distribution_domain_name" {
  description = "CloudFront domain name of the site."
  value       = aws_cloudfront_distribution.this.domain_name
}

output "site_url" {
  description = "Public URL of the site."
  value       = "https://${coalesce(var.domain_name, aws_cloudfront_distribution.this.domain_name)}"
}

output "kms_key_arn" {
  description = "Key encrypting the site objects (the deploy role needs kms:GenerateDataKey on it)."
  value       = aws_kms_key.site.arn
}

output "log_bucket_name" {
  description = "Bucket holding CloudFront and S3 access logs."
  value       = aws_s3_bucket.logs.id
}

output "web_acl_arn" {
  description = "WAF web ACL protecting the distribution, or null when WAF is off."
  value       = var.enable_waf ? aws_wafv2_web_acl.this[0].arn : null
}
