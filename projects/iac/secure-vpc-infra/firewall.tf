# Optional AWS Network Firewall in the security tier: central egress for the app tier with a
# domain allow list (TLS SNI and HTTP Host); everything else is dropped and logged.

resource "aws_networkfirewall_rule_group" "egress_allow" {
  count    = var.enable_network_firewall ? 1 : 0
  name     = "${var.name}-egress-allow"
  type     = "STATEFUL"
  capacity = 100

  encryption_configuration {
    type   = "CUSTOMER_KMS"
    key_id = aws_kms_key.this.arn
  }

  rule_group {
    stateful_rule_options {
      rule_order = "STRICT_ORDER"
    }
    rules_source {
      rules_source_list {
        generated_rules_type = "ALLOWLIST"
        target_types         = ["TLS_SNI", "HTTP_HOST"]
        targets              = var.egress_allowed_domains
      }
    }
  }

  tags = local.tags
}

resource "aws_networkfirewall_firewall_policy" "this" {
  count = var.enable_network_firewall ? 1 : 0
  name  = "${var.name}-egress"

  encryption_configuration {
    type   = "CUSTOMER_KMS"
    key_id = aws_kms_key.this.arn
  }

  firewall_policy {
    stateless_default_actions          = ["aws:forward_to_sfe"]
    stateless_fragment_default_actions = ["aws:forward_to_sfe"]
    stateful_default_actions           = ["aws:drop_established", "aws:alert_established"]

    stateful_engine_options {
      rule_order = "STRICT_ORDER"
    }

    stateful_rule_group_reference {
      priority     = 100
      resource_arn = aws_networkfirewall_rule_group.egress_allow[0].arn
    }
  }

  tags = local.tags
}

resource "aws_networkfirewall_firewall" "this" {
  count                             = var.enable_network_firewall ? 1 : 0
  name                              = "${var.name}-egress"
  vpc_id                            = aws_vpc.this.id
  firewall_policy_arn               = aws_networkfirewall_firewall_policy.this[0].arn
  delete_protection                 = true
  subnet_change_protection          = true
  firewall_policy_change_protection = true

  encryption_configuration {
    type   = "CUSTOMER_KMS"
    key_id = aws_kms_key.this.arn
  }

  dynamic "subnet_mapping" {
    for_each = aws_subnet.security
    content {
      subnet_id = subnet_mapping.value.id
    }
  }

  tags = local.tags
}

resource "aws_cloudwatch_log_group" "firewall" {
  for_each          = var.enable_network_firewall ? toset(["alert", "flow"]) : toset([])
  name              = "/network-firewall/${var.name}/${each.key}"
  retention_in_days = var.flow_log_retention_days
  kms_key_id        = aws_kms_key.this.arn
  tags              = local.tags
}

resource "aws_networkfirewall_logging_configuration" "this" {
  count        = var.enable_network_firewall ? 1 : 0
  firewall_arn = aws_networkfirewall_firewall.this[0].arn

  logging_configuration {
    dynamic "log_destination_config" {
      for_each = aws_cloudwatch_log_group.firewall
      content {
        log_type             = upper(log_destination_config.key)
        log_destination_type = "CloudWatchLogs"
        log_destination = {
          logGroup = log_destination_config.value.name
        }
      }
    }
  }
}
