#!/usr/bin/env bash
# `portfolio ci lint --affected` with one project changed vs the full `ci lint` (issue #10's
# target: under 10%), in a temporary worktree of HEAD, under two conditions:
#   ci      a fresh checkout over a restored build cache, as in the pipeline templates (the cache
#           holds the target folder; the checkout gives every file a new mtime, so cargo
#           re-checks every workspace crate): every tracked file is touched before each run;
#   laptop  a warm build cache where only the changed file is new.
# Each run first edits one file of the changed project (a comment at the end), the full lint
# and the affected lint alike, so both see the same change.
#   bash bench/ci-lint.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
export PORTFOLIO_EVIDENCE=0 # no audit evidence files from benchmark runs
cargo build -q --locked -p portfolio
bin=$(realpath "${CARGO_TARGET_DIR:-target}/debug/portfolio")
wt=$(mktemp -d)/repo
git worktree add -q --detach "$wt" HEAD
trap 'git worktree remove --force "$wt"; git worktree prune' EXIT
"$bin" --root "$wt" ci lint >/dev/null 2>&1 || true # warm-up (the worktree's own build)

n=0
change() { n=$((n + 1)); echo "// bench $n" >>"$wt/$1"; }
checkout() { git -C "$wt" ls-files -z | (cd "$wt" && xargs -0 touch); }
ms() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null 2>&1 || true; t1=$(date +%s%N); echo $(((t1 - t0) / 1000000)); }
# best CONDITION FILE ARGS...: the best of $runs timings of `portfolio ARGS` after the change.
best() {
  local cond=$1 file=$2 b=999999999 v
  shift 2
  for _ in $(seq "$runs"); do
    change "$file"
    [ "$cond" = ci ] && checkout
    v=$(ms "$bin" --root "$wt" "$@")
    [ "$v" -lt "$b" ] && b=$v
  done
  echo "$b"
}
echo "portfolio ci lint, best of $runs on $(nproc) cores:"
for cond in ci laptop; do
  for case in "devops/file-backup-utility src/main.rs" "data-streaming/kafka-broker src/main.rs" "strategy/disaster-recovery-plan README.md"; do
    set -- $case
    project=$1 file=projects/$1/$2
    full=$(best "$cond" "$file" ci lint)
    affected=$(best "$cond" "$file" ci lint --affected --since HEAD)
    count=$("$bin" --root "$wt" affected --since HEAD --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["projects"]))')
    printf '  %-6s %-40s full %6s ms  --affected %6s ms (%2s%%, %s project(s) affected)\n' \
      "$cond" "$project ($2)" "$full" "$affected" "$((100 * affected / full))" "$count"
    git -C "$wt" checkout -q -- .
  done
done
