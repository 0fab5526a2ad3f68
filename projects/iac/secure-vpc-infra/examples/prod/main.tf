# The prod composition of the VPC module. Apply with:
#   terraform init && terraform workspace select -or-create prod && terraform plan -out prod.plan
terraform {
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40, < 6.0"
    }
  }

  # State in S3 with a DynamoDB lock table, one state per workspace (env:/prod/...).
  backend "s3" {
    bucket         = "portfolio-terraform-state"
    key            = "network/secure-vpc.tfstate"
    region         = "eu-west-1"
    dynamodb_table = "portfolio-terraform-locks"
    encrypt        = true
  }
}

provider "aws" {
  region = "eu-west-1"
}

module "vpc" {
  source = "../.."

  name                    = "portfolio-prod"
  cidr_block              = "10.30.0.0/16"
  availability_zones      = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
  single_nat_gateway      = false
  enable_network_firewall = true

  tags = {
    team                = "team-cloud"
    cost-center         = "cc-1042"
    data-classification = "internal"
    environment         = "prod"
  }
}

output "vpc_id" {
  description = "The prod VPC."
  value       = module.vpc.vpc_id
}
