# The staging composition of the static site. Apply with:
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
    key            = "web/static-site.tfstate"
    region         = "eu-west-1"
    dynamodb_table = "portfolio-terraform-locks"
    encrypt        = true
  }
}

provider "aws" {
  region = "eu-west-1"
}

provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"
}

module "site" {
  source    = "../.."
  providers = { aws = aws, aws.us_east_1 = aws.us_east_1 }

  name           = "portfolio-staging"
  domain_name    = "staging.portfolio.example.org"
  hosted_zone_id = "Z0123456789STAGING"
  enable_waf     = true

  tags = {
    team                = "team-web"
    cost-center         = "cc-2001"
    data-classification = "public"
    environment         = "staging"
  }
}

output "site_url" {
  description = "Where the staging site is served."
  value       = module.site.site_url
}
