#!/usr/bin/env bash
# Guide §4 step 6: check the toolchain, the catalog and the tests of what changed.
#   scripts/validate-local.sh [BASE]
# BASE defaults to origin/work, else work, origin/main, main, else the first commit.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
portfolio() { cargo run -q --locked -p portfolio -- "$@"; }
base=${1:-$(portfolio default-base)}
echo "comparing with $base" >&2
portfolio bootstrap --check && portfolio validate && portfolio test --affected --since "$base"
