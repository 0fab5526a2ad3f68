#!/usr/bin/env bash
# etl-job against the same models on local Spark — issue #21's targets: a full refresh of all
# gold tables at least 10x faster than Spark (local[2]) with identical output, peak memory at
# most 2 GB, and an incremental run over 1 % new data at most 5 % of the full refresh's time.
#   bash bench/etl.sh [N]        (default 5000000 events; BENCH_DIR=... to choose the disk)
# Both engines read the same generated bronze table (50 projects, 365 days) on a warm page
# cache, one after the other, on this machine's cores; release build of etl-job; PyPI's
# pyspark 3.5.7 in local[2] mode with a 4 GB driver. Times are wall-clock seconds of the whole
# command (the Spark figure includes the JVM's start, as a scheduled job pays it); peak memory
# is /usr/bin/time's maximum resident set size.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-5000000}
cargo build -q --locked --release -p etl-job
etl=$(realpath "${CARGO_TARGET_DIR:-target}/release/etl-job")
work=$(mktemp -d "${BENCH_DIR:-/tmp}/etl-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
export RUST_LOG=warn
run_date=2026-12-02
common=(--lake "$work/lake" --run-date "$run_date" --lineage-file "$work/lineage.jsonl" --report-dir "$work/reports" --json)

echo "generating $n bronze events…" >&2
"$etl" gen-bronze --lake "$work/lake" --events "$n" --projects 50 --days 365 --seed 42 --end 2026-12-01 --json >/dev/null
bronze_mb=$(du -sm "$work/lake/bronze" | cut -f1)

measure() { # label, command… → "seconds peak_kb" on fd 3
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/out" 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
  cat "$work/time"
}

echo "etl-job full refresh…" >&2
read -r etl_s etl_kb < <(measure "$etl" run --full-refresh "${common[@]}")
etl_rows=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(" ".join(t["table"] + "=" + str(t["rows"]) for t in r["tables"]))' "$work/out")

echo "Spark (local[2]) full refresh…" >&2
"$etl" export-spark --out "$work/spark-job" >/dev/null
bash scripts/pytool.sh pyspark==3.5.7 python -c 'import pyspark' # install outside the timing
read -r spark_s spark_kb < <(measure bash scripts/pytool.sh pyspark==3.5.7 python "$work/spark-job/etl_spark.py" \
  --lake "$work/lake" --out "$work/spark-gold" --run-date "$run_date" --master 'local[2]' --driver-memory 4g)

echo "comparing…" >&2
if "$etl" compare --lake "$work/lake" --other "$work/spark-gold" >"$work/compare"; then same=identical; else same=DIFFERENT; fi
cat "$work/compare" >&2

echo "incremental run over 1 % new events…" >&2
"$etl" gen-bronze --lake "$work/lake" --events $((n / 100)) --projects 50 --days 3 --seed 43 --end 2026-12-01 --json >/dev/null
read -r inc_s inc_kb < <(measure "$etl" run "${common[@]}")

python3 - "$n" "$bronze_mb" "$etl_s" "$etl_kb" "$spark_s" "$spark_kb" "$inc_s" "$inc_kb" "$same" "$etl_rows" <<'PY'
import sys
n, mb, es, ek, ss, sk, is_, ik, same, rows = sys.argv[1:]
es, ss, is_ = float(es), float(ss), float(is_)
print(f"bronze: {int(n):,} events, {mb} MB on disk; gold: {rows}")
print(f"{'':24}{'seconds':>10}{'peak RSS':>12}")
print(f"{'etl-job full refresh':24}{es:>10.2f}{int(ek)/1024:>9.0f} MB")
print(f"{'Spark local[2]':24}{ss:>10.2f}{int(sk)/1024:>9.0f} MB")
print(f"{'etl-job incremental 1%':24}{is_:>10.2f}{int(ik)/1024:>9.0f} MB")
print(f"speed-up vs Spark: {ss/es:.1f}x (target >= 10x); outputs {same}")
print(f"incremental / full: {100*is_/es:.1f} % (target <= 5 %); peak {int(ek)/1024:.0f} MB (target <= 2048 MB)")
PY
