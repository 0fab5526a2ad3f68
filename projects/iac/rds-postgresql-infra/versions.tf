terraform {
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40, < 6.0"
      # aws.replica: the region automated backups are copied to (var.cross_region_backup).
      configuration_aliases = [aws.replica]
    }
  }
}
