#!/usr/bin/env bash
# Installs the infrastructure-as-code checkers, pinned by scripts/iac/requirements.lock, into a
# virtualenv outside the clone (reused by later runs) and prints its bin folder:
#   checkov              policy checks for Terraform, Kubernetes manifests and Dockerfiles
#   helm-python-sdk      Helm's own Go engine as a library (no helm binary can be downloaded)
#   kubernetes-validate  the Kubernetes OpenAPI schemas
#   bin=$(bash scripts/iac/tools.sh)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lock=$here/requirements.lock
venv=${PORTFOLIO_CACHE:-$HOME/.cache/portfolio}/iac-$(sha256sum "$lock" | cut -c1-12)
if [ ! -x "$venv/bin/checkov" ] || [ ! -f "$venv/.complete" ]; then
  echo "installing the IaC checkers into $venv (once)" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check --no-deps -r "$lock" >&2
  touch "$venv/.complete"
fi
# Terraform warns on every run without a CLI configuration file; an empty one is the default.
[ -f "$venv/terraformrc" ] || : >"$venv/terraformrc"
echo "$venv/bin"
