# The staging composition: the VPC module's outputs feed the database module. Apply with:
#   terraform init && terraform workspace select -or-create staging && terraform plan -out staging.plan
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
    environment         = "staging"
  }
}

module "vpc" {
  source             = "../../../secure-vpc-infra"
  name               = "portfolio-staging"
  availability_zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
  single_nat_gateway = false
  tags               = local.tags
}

module "database" {
  source    = "../.."
  providers = { aws = aws, aws.replica = aws.replica }

  name                   = "portfolio-staging"
  vpc_id                 = module.vpc.vpc_id
  data_subnet_ids        = module.vpc.data_subnet_ids
  data_security_group_id = module.vpc.data_security_group_id
  instance_class         = "db.r7g.large"
  multi_az               = true
  backup_retention_days  = 14
  cross_region_backup    = false
  read_replica_count     = 0
  alarm_emails           = ["oncall-data@example.org"]
  tags                   = local.tags
}

output "database_url_template" {
  description = "Where the staging services connect."
  value       = module.database.database_url_template
}
