#!/usr/bin/env bash
# `portfolio ci lint --affected` with one project changed vs the full `ci lint` (issue #10's
# target: under 10%). Runs in a temporary worktree of HEAD, after a warm-up run so every figure
# uses a warm build cache, for two changes: a Rust service (kafka-broker) and a project without
# code yet (strategy/disaster-recovery-plan).
#   bash bench/ci-lint.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
cargo build -q --locked -p portfolio
bin=$(realpath "${CARGO_TARGET_DIR:-target}/debug/portfolio")
wt=$(mktemp -d)/repo
git worktree add -q --detach "$wt" HEAD
trap 'git worktree remove --force "$wt"; git worktree prune' EXIT
"$bin" --root "$wt" ci lint >/dev/null 2>&1 || true # warm-up (the worktree's own build)

ms() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null 2>&1 || true; t1=$(date +%s%N); echo $(((t1 - t0) / 1000000)); }
best() { local b=999999999 v; for _ in $(seq "$runs"); do v=$(ms "$@"); [ "$v" -lt "$b" ] && b=$v; done; echo "$b"; }
full=$(best "$bin" --root "$wt" ci lint)
echo "portfolio ci lint, best of $runs on $(nproc) cores (warm cache):"
echo "  full lint                                  ${full} ms"
for project in data-streaming/kafka-broker strategy/disaster-recovery-plan; do
  echo "<!-- bench -->" >>"$wt/projects/$project/README.md"
  git -C "$wt" -c user.email=bench@example.org -c user.name=bench commit -q -am "docs: bench change"
  affected=$(best "$bin" --root "$wt" ci lint --affected --since HEAD~1)
  printf '  --affected, %-32s %s ms (%s%% of full)\n' "$project changed" "$affected" "$((100 * affected / full))"
done
