# A deliberately broken copy: a database reachable from the internet, unencrypted, without
# backups or deletion protection. `make test` proves iac-checks (TF030) and checkov
# (CKV_AWS_17, CKV_AWS_16, CKV_AWS_133, CKV_AWS_293) reject it.
resource "aws_db_instance" "open" {
  identifier                  = "portfolio-open"
  engine                      = "postgres"
  engine_version              = "16.4"
  instance_class              = "db.t4g.micro"
  allocated_storage           = 20
  username                    = "portfolio_admin"
  manage_master_user_password = true
  publicly_accessible         = true
  storage_encrypted           = false
  backup_retention_period     = 0
  deletion_protection         = false
  skip_final_snapshot         = true
  tags                        = { team = "team-cloud", cost-center = "cc-1042", data-classification = "confidential" }
}
