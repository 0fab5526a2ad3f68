terraform {
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40, < 6.0"
      # aws.us_east_1: CloudFront's certificates and web ACLs live in us-east-1.
      configuration_aliases = [aws.us_east_1]
    }
  }
}
