# The prod composition: the VPC module's outputs feed the database module. Apply with:
#   terraform init && terraform workspace select -or-create prod && terraform plan -out prod.plan
terraform {
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40, < 6.0"
    }
  }

  backend "s3" {
    bucket         = "portfolio-terraform-state"
    key            = "data/rds-postgresql.tfstate"
    region         = "eu-west-1"
    dynamodb_table = "portfolio-terraform-locks"
    encrypt        = true
  }
}

provider "aws" {
  region = "eu-west-1"
}

provider "aws" {
  alias  = "replica"
  region = "eu-central-1"
}

locals {
  tags = {
    team                = "team-cloud"
    cost-center         = "cc-1042"
    data-classification = "confidential"
    environment         = "prod"
  }
}

module "vpc" {
  source             = "../../../secure-vpc-infra"
  name               = "portfolio-prod"
  availability_zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
  single_nat_gateway = false
  tags               = local.tags
}

resource "aws_kms_key" "replica" {
  provider            = aws.replica
  description         = "portfolio-prod: copied RDS backups"
  enable_key_rotation = true
  tags                = local.tags
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AccountAdministration"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }
      Action    = "kms:*"
      Resource  = "*"
    }]
  })
}

data "aws_caller_identity" "current" {}

module "database" {
  source    = "../.."
  providers = { aws = aws, aws.replica = aws.replica }

  name                   = "portfolio-prod"
  vpc_id                 = module.vpc.vpc_id
  data_subnet_ids        = module.vpc.data_subnet_ids
  data_security_group_id = module.vpc.data_security_group_id
  instance_class         = "db.r7g.xlarge"
  multi_az               = true
  backup_retention_days  = 35
  cross_region_backup    = true
  replica_kms_key_arn    = aws_kms_key.replica.arn
  read_replica_count     = 1
  alarm_emails           = ["oncall-data@example.org"]
  tags                   = local.tags
}

output "database_url_template" {
  description = "Where the prod services connect."
  value       = module.database.database_url_template
}
