#!/usr/bin/env bash
# Checks the chart with Helm's own engine (tools/helm.py over PyPI helm-python-sdk):
#   bash check.sh          lint, render and compare every service x environment with golden/,
#                          validate against the Kubernetes schemas, checkov, iac-checks, and
#                          prove the checks reject the broken copies in tests/broken/
#   bash check.sh lint     only helm lint (strict) of every service x environment
#   bash check.sh update   rewrite golden/ from the chart (review the diff, then commit)
#   bash check.sh package DIR   package the chart into DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
mode=${1:-all}
bin=$(bash "$root/scripts/iac/tools.sh")
helm=("$bin/python" "$here/tools/helm.py")
kube_version=1.30.0
envs=(dev staging prod)
cd "$here"

if [ "$mode" = package ]; then
  "${helm[@]}" package . --destination "${2:?package needs a destination folder}"
  exit 0
fi

services=()
for f in services/*.yaml; do services+=("$(basename "$f" .yaml)"); done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for svc in "${services[@]}"; do
  for env in "${envs[@]}"; do
    values=(-f "services/$svc.yaml" -f "values.$env.yaml" -f tests/render-digest.yaml)
    "${helm[@]}" lint . "${values[@]}" --strict >"$tmp/lint.txt" || { cat "$tmp/lint.txt"; echo "helm lint failed for $svc in $env"; exit 1; }
    [ "$mode" = lint ] && continue
    "${helm[@]}" template "$svc" . -n "portfolio-$env" "${values[@]}" >"$tmp/$svc.$env.yaml"
    if [ "$mode" = update ]; then
      cp "$tmp/$svc.$env.yaml" "golden/$svc.$env.yaml"
    elif ! diff -u "golden/$svc.$env.yaml" "$tmp/$svc.$env.yaml"; then
      echo "golden/$svc.$env.yaml differs from the chart's output: review, then 'bash check.sh update'"
      exit 1
    fi
  done
done
[ "$mode" = lint ] && { echo "helm lint: ${#services[@]} service(s) x ${#envs[@]} environments clean"; exit 0; }
[ "$mode" = update ] && { echo "golden/ rewritten"; exit 0; }
for g in golden/*.yaml; do
  name=$(basename "$g" .yaml)
  [ -f "services/${name%.*}.yaml" ] && [ -f "values.${name##*.}.yaml" ] || { echo "$g belongs to no service x environment: remove it"; exit 1; }
done

# Kubernetes schemas (strict: unknown fields fail). CRDs such as ServiceMonitor have no schema
# there and are reported as a warning only.
"$bin/kubernetes-validate" --strict --quiet -k "$kube_version" golden/*.yaml
(cd "$root" && cargo build -q --locked -p iac-checks)
checks="${CARGO_TARGET_DIR:-$root/target}/debug/iac-checks"
"$checks" kubernetes golden/*.yaml
checkov=("$bin/checkov" --quiet --compact --skip-download --framework kubernetes)
"${checkov[@]}" -d golden

# The checks can fail: a privileged, root, unpinned workload, and values the schema refuses.
if "$checks" kubernetes tests/broken/privileged-pod.yaml >/dev/null; then
  echo "iac-checks accepted tests/broken/privileged-pod.yaml"; exit 1
fi
if "${checkov[@]}" -f tests/broken/privileged-pod.yaml >/dev/null; then
  echo "checkov accepted tests/broken/privileged-pod.yaml"; exit 1
fi
if "$bin/kubernetes-validate" --strict --quiet -k "$kube_version" tests/broken/unknown-field.yaml >/dev/null 2>&1; then
  echo "kubernetes-validate accepted tests/broken/unknown-field.yaml"; exit 1
fi
if "${helm[@]}" template broken . -f services/task-api.yaml -f tests/broken/values.tag-not-digest.yaml >/dev/null 2>"$tmp/err"; then
  echo "the chart rendered an image without a digest"; exit 1
fi
grep -q "digest" "$tmp/err" || { cat "$tmp/err"; echo "the schema error does not name image.digest"; exit 1; }
echo "chart: ${#services[@]} service(s) x ${#envs[@]} environments linted, rendered as golden/, schema-valid, checkov and iac-checks clean; broken copies rejected"
