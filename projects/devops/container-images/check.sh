#!/usr/bin/env bash
# Static checks of the container images (no Docker engine runs on the build machines):
#   - iac-checks dockerfile: base images pinned by digest, no latest, non-root final stages on
#     distroless, explicit HEALTHCHECK decisions, no secrets in ARG/ENV
#   - iac-checks bake: docker-bake.hcl parses, every built rust-service of the catalog has a
#     target whose stage exists, amd64 and arm64
#   - checkov's Dockerfile checks, zero failed
#   - .dockerignore keeps build output, git data, local state and env files out of the context
#   - the broken copy tests/broken/root.Dockerfile is rejected by both checkers
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
bin=$(bash "$root/scripts/iac/tools.sh")
(cd "$root" && cargo build -q --locked -p iac-checks)
checks="${CARGO_TARGET_DIR:-$root/target}/debug/iac-checks"
checkov=("$bin/checkov" --quiet --compact --skip-download --framework dockerfile)
cd "$root"
dockerfiles=(projects/devops/container-images/*.Dockerfile)
"$checks" dockerfile "${dockerfiles[@]}"
"$checks" bake projects/devops/container-images/docker-bake.hcl --root .
for f in "${dockerfiles[@]}"; do "${checkov[@]}" -f "$f"; done
for pattern in '**/target' '.git' '.portfolio' '**/.env'; do
  grep -qxF "$pattern" .dockerignore || { echo ".dockerignore does not exclude $pattern"; exit 1; }
done
broken=projects/devops/container-images/tests/broken/root.Dockerfile
if "$checks" dockerfile "$broken" >/dev/null; then echo "iac-checks accepted $broken"; exit 1; fi
if "${checkov[@]}" -f "$broken" >/dev/null; then echo "checkov accepted $broken"; exit 1; fi
echo "images: ${#dockerfiles[@]} Dockerfile(s) and the bake file clean; broken copy rejected"
