# A deliberately broken copy: a public, unencrypted bucket. `make test` proves iac-checks
# (TF010, TF011, TF012) and checkov (CKV_AWS_19/145, CKV_AWS_53-56, CKV_AWS_20) reject it.
resource "aws_s3_bucket" "site" {
  bucket = "portfolio-public-site"
  tags   = { team = "team-web", cost-center = "cc-2001", data-classification = "public" }
}

resource "aws_s3_bucket_public_access_block" "site" {
  bucket                  = aws_s3_bucket.site.id
  block_public_acls       = false
  block_public_policy     = false
  ignore_public_acls      = false
  restrict_public_buckets = false
}

resource "aws_s3_bucket_acl" "site" {
  bucket = aws_s3_bucket.site.id
  acl    = "public-read"
}
