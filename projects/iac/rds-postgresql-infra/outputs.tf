output "address" {
  description = "Host name of the primary (for the services' DATABASE_URL)."
  value       = aws_db_instance.this.address
}

output "port" {
  description = "Port of the primary."
  value       = aws_db_instance.this.port
}

output "database_name" {
  description = "Name of the initial database."
  value       = aws_db_instance.this.db_name
}

output "database_url_template" {
  description = "DATABASE_URL without credentials: services authenticate with an IAM token or the secret."
  value       = "postgres://${aws_db_instance.this.address}:${aws_db_instance.this.port}/${aws_db_instance.this.db_name}?sslmode=verify-full"
}

output "master_secret_arn" {
  description = "Secrets Manager secret holding the rotated master credentials."
  value       = aws_db_instance.this.master_user_secret[0].secret_arn
}

output "iam_auth_resource_id" {
  description = "Resource id for rds-db:connect policies (IAM authentication)."
  value       = aws_db_instance.this.resource_id
}

output "replica_addresses" {
  description = "Host names of the read replicas."
  value       = aws_db_instance.replica[*].address
}

output "kms_key_arn" {
  description = "Customer-managed key encrypting storage, backups and the secret."
  value       = aws_kms_key.this.arn
}

output "alarm_topic_arn" {
  description = "SNS topic the alarms publish to."
  value       = aws_sns_topic.alarms.arn
}
