# Alarms to an encrypted SNS topic: CPU, free storage, connections and (per replica) replica lag.

resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-rds-alarms"
  kms_master_key_id = aws_kms_key.this.arn
  tags              = local.tags
}

resource "aws_sns_topic_subscription" "email" {
  for_each  = toset(var.alarm_emails)
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}

locals {
  instance_alarms = {
    cpu = {
      metric    = "CPUUtilization"
      operator  = "GreaterThanThreshold"
      threshold = var.alarm_thresholds.cpu_percent
      what      = "CPU above ${var.alarm_thresholds.cpu_percent}% for 15 minutes"
    }
    free-storage = {
      metric    = "FreeStorageSpace"
      operator  = "LessThanThreshold"
      threshold = var.alarm_thresholds.free_storage_gb * 1024 * 1024 * 1024
      what      = "Less than ${var.alarm_thresholds.free_storage_gb} GiB of storage free"
    }
    connections = {
      metric    = "DatabaseConnections"
      operator  = "GreaterThanThreshold"
      threshold = var.alarm_thresholds.connections
      what      = "More than ${var.alarm_thresholds.connections} connections"
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "instance" {
  for_each            = local.instance_alarms
  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.what
  namespace           = "AWS/RDS"
  metric_name         = each.value.metric
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 3
  comparison_operator = each.value.operator
  threshold           = each.value.threshold
  treat_missing_data  = "breaching"
  dimensions          = { DBInstanceIdentifier = aws_db_instance.this.identifier }
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = local.tags
}

resource "aws_cloudwatch_metric_alarm" "replica_lag" {
  count               = var.read_replica_count
  alarm_name          = "${var.name}-replica-${count.index + 1}-lag"
  alarm_description   = "Replica ${count.index + 1} more than ${var.alarm_thresholds.replica_lag_seconds} s behind"
  namespace           = "AWS/RDS"
  metric_name         = "ReplicaLag"
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 5
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarm_thresholds.replica_lag_seconds
  treat_missing_data  = "breaching"
  dimensions          = { DBInstanceIdentifier = aws_db_instance.replica[count.index].identifier }
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = local.tags
}
