#!/usr/bin/env bash
# Checks one Terraform module (run from its folder, as `portfolio test` does):
#   1. terraform fmt -check -recursive
#   2. iac-checks over the module and each examples/<env> composition (hcl-rs, see
#      crates/iac-checks), and the README's inputs/outputs tables against the code
#   3. checkov over the module and its examples: zero failed checks (suppressions carry a reason)
#   4. the deliberately broken copy in tests/broken is rejected by both checkers
# terraform validate/plan need provider plugins, which cannot be downloaded here.
set -euo pipefail
module=$(pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(bash "$root/scripts/iac/tools.sh")
export TF_CLI_CONFIG_FILE="$(dirname "$bin")/terraformrc"
(cd "$root" && cargo build -q --locked -p iac-checks)
checks="${CARGO_TARGET_DIR:-$root/target}/debug/iac-checks"
checkov=("$bin/checkov" --quiet --compact --skip-download --framework terraform)

terraform fmt -check -recursive "$module"
examples=()
for e in "$module"/examples/*/; do [ -d "$e" ] && examples+=("$e"); done
"$checks" terraform "$module" "${examples[@]}"
"$checks" docs "$module"
"${checkov[@]}" -d "$module" --skip-path tests/broken

broken=$module/tests/broken
if "$checks" terraform "$broken" >/dev/null; then
  echo "iac-checks accepted the broken copy in $broken"; exit 1
fi
if "${checkov[@]}" -d "$broken" >/dev/null; then
  echo "checkov accepted the broken copy in $broken"; exit 1
fi
echo "$(basename "$module"): fmt, iac-checks, README tables and checkov clean; broken copy rejected"
