#!/usr/bin/env bash
# Validates the pipeline templates with real validators, then proves each validator rejects a
# broken copy. Tools (pinned) are installed into ~/.cache/portfolio, outside the clone:
#   - action-validator (npm @action-validator/cli, lock file in tools/) for GitHub workflows
#   - check-jsonschema (PyPI) with its built-in GitHub workflow and GitLab CI schemas
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
cache=${PORTFOLIO_TOOL_CACHE:-$HOME/.cache/portfolio}
cjs_version=0.39.0
venv=$cache/check-jsonschema-$cjs_version
if [ ! -x "$venv/bin/check-jsonschema" ]; then
  echo "installing check-jsonschema $cjs_version into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "check-jsonschema==$cjs_version"
fi
npm_dir=$cache/action-validator-$(sha256sum "$here/tools/package-lock.json" | cut -c1-12)
if [ ! -x "$npm_dir/node_modules/.bin/action-validator" ]; then
  echo "installing action-validator into $npm_dir"
  mkdir -p "$npm_dir"
  cp "$here/tools/package.json" "$here/tools/package-lock.json" "$npm_dir/"
  (cd "$npm_dir" && npm ci --silent --no-audit --no-fund)
fi
av=$npm_dir/node_modules/.bin/action-validator
cjs=$venv/bin/check-jsonschema

cd "$root"
workflows=(.github/workflows/*.yml)
gitlab=(.gitlab-ci.yml .ci/templates/*.yml)
for f in "${workflows[@]}"; do
  "$av" "$f" >/dev/null || { echo "action-validator: $f is invalid"; "$av" "$f"; exit 1; }
done
"$cjs" --builtin-schema vendor.github-workflows "${workflows[@]}"
"$cjs" --builtin-schema vendor.gitlab-ci "${gitlab[@]}"
echo "templates valid: ${workflows[*]} ${gitlab[*]}"

# The validators can fail: each broken copy must be rejected.
broken=$here/tests/broken
if "$av" "$broken/github-workflow.yml" >/dev/null 2>&1; then
  echo "action-validator accepted the broken workflow"; exit 1
fi
if "$cjs" --builtin-schema vendor.github-workflows "$broken/github-workflow.yml" >/dev/null 2>&1; then
  echo "check-jsonschema accepted the broken workflow"; exit 1
fi
if "$cjs" --builtin-schema vendor.gitlab-ci "$broken/gitlab-ci.yml" >/dev/null 2>&1; then
  echo "check-jsonschema accepted the broken GitLab pipeline"; exit 1
fi
echo "broken copies rejected: $(cd "$broken" && echo *)"
