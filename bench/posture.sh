#!/usr/bin/env bash
# The posture scanner over a generated Terraform corpus — issue #7's target: at least 60,000
# lines in under 2 s on this machine.
#   bash bench/posture.sh [LINES]      (default 60000)
# The corpus: modules of S3 buckets (with and without their public access blocks, versioning,
# encryption), security groups, RDS instances, KMS keys, IAM policies, CloudTrail trails and
# Lambda functions, each module in its own folder, about half of them misconfigured.
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-60000}
cargo build -q --locked --release -p posture
bin=$(realpath "${CARGO_TARGET_DIR:-target}/release/posture")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work/corpus" "$lines" <<'PY'
import os, random, sys
root, target = sys.argv[1], int(sys.argv[2])
rng = random.Random(7)
def bucket(i, good):
    s = f'resource "aws_s3_bucket" "b{i}" {{\n  bucket = "acme-{i}"\n  tags = {{\n    team = "data"\n    env  = var.env\n  }}\n}}\n\n'
    if good:
        s += f'resource "aws_s3_bucket_public_access_block" "b{i}" {{\n  bucket                  = aws_s3_bucket.b{i}.id\n  block_public_acls       = true\n  block_public_policy     = true\n  ignore_public_acls      = true\n  restrict_public_buckets = true\n}}\n\n'
        s += f'resource "aws_s3_bucket_versioning" "b{i}" {{\n  bucket = aws_s3_bucket.b{i}.id\n  versioning_configuration {{\n    status = "Enabled"\n  }}\n}}\n\n'
        s += f'resource "aws_s3_bucket_server_side_encryption_configuration" "b{i}" {{\n  bucket = aws_s3_bucket.b{i}.id\n  rule {{\n    apply_server_side_encryption_by_default {{\n      sse_algorithm     = "aws:kms"\n      kms_master_key_id = aws_kms_key.k{i}.arn\n    }}\n  }}\n}}\n\n'
    return s
def sg(i, good):
    cidr = "10.0.0.0/8" if good else "0.0.0.0/0"
    return f'resource "aws_security_group" "s{i}" {{\n  name   = "s{i}"\n  vpc_id = var.vpc_id\n  ingress {{\n    from_port   = 22\n    to_port     = 22\n    protocol    = "tcp"\n    cidr_blocks = ["{cidr}"]\n  }}\n  egress {{\n    from_port   = 0\n    to_port     = 0\n    protocol    = "-1"\n    cidr_blocks = ["0.0.0.0/0"]\n  }}\n}}\n\n'
def db(i, good):
    return f'resource "aws_db_instance" "d{i}" {{\n  identifier              = "d{i}"\n  engine                  = "postgres"\n  instance_class          = "db.t4g.micro"\n  storage_encrypted       = {str(good).lower()}\n  publicly_accessible     = {str(not good).lower()}\n  backup_retention_period = {7 if good else 1}\n}}\n\n'
def kms(i, good):
    return f'resource "aws_kms_key" "k{i}" {{\n  description         = "k{i}"\n  enable_key_rotation = {str(good).lower()}\n}}\n\n'
def iam(i, good):
    action = '["s3:GetObject"]' if good else '"*"'
    res = f'"arn:aws:s3:::acme-{i}/*"' if good else '"*"'
    return f'resource "aws_iam_policy" "p{i}" {{\n  name = "p{i}"\n  policy = jsonencode({{\n    Version   = "2012-10-17"\n    Statement = [{{ Effect = "Allow", Action = {action}, Resource = {res} }}]\n  }})\n}}\n\n'
def trail(i, good):
    return f'resource "aws_cloudtrail" "t{i}" {{\n  name                       = "t{i}"\n  s3_bucket_name             = "acme-trail"\n  is_multi_region_trail      = {str(good).lower()}\n  enable_log_file_validation = true\n}}\n\n'
def fn(i, good):
    rt = "python3.12" if good else "python3.7"
    return f'resource "aws_lambda_function" "f{i}" {{\n  function_name = "f{i}"\n  role          = "arn:aws:iam::111122223333:role/f"\n  runtime       = "{rt}"\n  handler       = "main.handler"\n}}\n\n'
makers = [bucket, sg, db, kms, iam, trail, fn]
written, m, i = 0, 0, 0
while written < target:
    d = os.path.join(root, f"module{m:04d}")
    os.makedirs(d)
    text = 'variable "env" {\n  type    = string\n  default = "prod"\n}\n\nvariable "vpc_id" {\n  type    = string\n  default = "vpc-1"\n}\n\n'
    for _ in range(20):
        text += rng.choice(makers)(i, rng.random() < 0.5)
        i += 1
    with open(os.path.join(d, "main.tf"), "w") as f:
        f.write(text)
    written += text.count("\n")
    m += 1
print(f"{written} lines in {m} modules ({i} resource definitions)", file=sys.stderr)
PY
"$bin" scan "$work/corpus" --json --format json -o "$work/posture.json" >"$work/summary.json" 2>"$work/err" || true
"$bin" rules list --json >"$work/rules.json"
python3 - "$work/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"posture: {s['resources']} resources, {s['findings']} findings, {s['errors']} errors in {s['seconds']:.2f} s (target < 2 s)")
PY
[ "${SKIP_CHECKOV:-0}" = 1 ] && exit 0
# checkov (PyPI, the version pinned by scripts/iac/tools.sh) on the same corpus; the overlap is
# measured on the rules that map to a checkov check (`# checkov:` in the rule's header).
tools=$(bash scripts/iac/tools.sh)
start=$(date +%s.%N)
"$tools/checkov" -d "$work/corpus" --framework terraform --quiet --compact --skip-download -o json >"$work/checkov.json" 2>/dev/null || true
end=$(date +%s.%N)
python3 - "$work/posture.json" "$work/checkov.json" "$work/rules.json" "$start" "$end" "$work/corpus" <<'PY'
import json, os, sys
ours, theirs, rules = (json.load(open(p)) for p in sys.argv[1:4])
seconds = float(sys.argv[5]) - float(sys.argv[4])
corpus = os.path.realpath(sys.argv[6])
mapped = {r["id"]: set(r.get("checkov", [])) for r in rules}
checks = set().union(*mapped.values())
reports = theirs if isinstance(theirs, list) else [theirs]
failed = set()
for rep in reports:
    for c in rep.get("results", {}).get("failed_checks", []):
        if c["check_id"] in checks:
            d = os.path.dirname(os.path.realpath(os.path.join(corpus, c["file_path"].lstrip("/"))))
            failed.add((c["check_id"], os.path.basename(d), c["resource"]))
ours_pairs, theirs_pairs = set(), set()
for f in ours["findings"]:
    ids = mapped.get(f["rule"], set())
    if not ids:
        continue
    module = os.path.basename(os.path.dirname(f["file"]))
    ours_pairs.add((f["rule"], module, f["resource"]))
for rule, ids in mapped.items():
    for (cid, module, res) in failed:
        if cid in ids:
            theirs_pairs.add((rule, module, res))
both = ours_pairs & theirs_pairs
union = ours_pairs | theirs_pairs
print(f"checkov: {seconds:.1f} s on the same corpus")
print(f"overlap on the {sum(1 for v in mapped.values() if v)} rules mapped to checkov checks: "
      f"{len(both)} findings in both, {len(ours_pairs - theirs_pairs)} only posture, {len(theirs_pairs - ours_pairs)} only checkov "
      f"({100 * len(both) / max(len(union), 1):.0f}% agreement)")
from collections import Counter
for label, pairs in [("only posture", ours_pairs - theirs_pairs), ("only checkov", theirs_pairs - ours_pairs)]:
    by = Counter(r for r, _, _ in pairs)
    if by:
        print(f"  {label}, by rule: " + ", ".join(f"{r} {n}" for r, n in by.most_common()))
PY
