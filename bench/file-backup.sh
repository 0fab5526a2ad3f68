#!/usr/bin/env bash
# file-backup against restic (Debian's package) on the same generated dataset — issue #5's
# targets: first backup at least 1.5x restic's throughput with stored size no larger; a
# no-change re-run and a restore at least as fast as restic's; peak memory no higher.
#   bash bench/file-backup.sh [SIZE_MB]      (default 2048; BENCH_DIR=... to choose the disk)
# The dataset: many small text-like files, large incompressible binaries, and duplicated
# content (copies of binaries and of a small-file tree). Both tools run on a warm page cache,
# one after the other, on this machine's cores; release build of file-backup.
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-2048}
if ! command -v restic >/dev/null; then
  echo "installing restic (Debian's package)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q restic >/dev/null
fi
cargo build -q --locked --release -p file-backup
fb=$(realpath "${CARGO_TARGET_DIR:-target}/release/file-backup")
work=$(mktemp -d "${BENCH_DIR:-/tmp}/fb-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
export RESTIC_PASSWORD=bench-password FILE_BACKUP_PASSWORD=bench-password

python3 - "$work/data" "$size" <<'PY'
import os, random, sys
root, total_mb = sys.argv[1], int(sys.argv[2])
rng = random.Random(42)
words = [("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))) for _ in range(5000)]
small_mb = total_mb * 0.10            # text-like small files
big_mb = total_mb * 0.60              # incompressible binaries
os.makedirs(root)
written = 0
d = 0
while written < small_mb * 1e6:
    sub = os.path.join(root, "src", f"dir{d // 200:03d}")
    os.makedirs(sub, exist_ok=True)
    n = rng.randint(1000, 16000)
    text = " ".join(rng.choice(words) for _ in range(n // 6))[:n]
    with open(os.path.join(sub, f"file{d:06d}.txt"), "w") as f:
        f.write(text)
    written += n
    d += 1
os.makedirs(os.path.join(root, "bin"))
nbig = 8
for i in range(nbig):
    with open(os.path.join(root, "bin", f"blob{i}.bin"), "wb") as f:
        for _ in range(int(big_mb / nbig)):
            f.write(rng.randbytes(1 << 20))
# Duplicates: half the binaries again, and the small-file tree again.
os.makedirs(os.path.join(root, "copies"))
for i in range(nbig // 2):
    with open(os.path.join(root, "bin", f"blob{i}.bin"), "rb") as s, open(os.path.join(root, "copies", f"blob{i}.bin"), "wb") as t:
        while chunk := s.read(1 << 24):
            t.write(chunk)
os.system(f"cp -r {root}/src {root}/copies/src")
PY
data_bytes=$(du -sb "$work/data" | cut -f1)
files=$(find "$work/data" -type f | wc -l)

# run NAME CMD...: prints "seconds maxrss_kb" of the command. Each run starts with no dirty
# pages left by the one before (sync), so neither tool pays for the other's writes.
run() { sync; /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }; cat "$work/time"; }
mbps() { python3 -c "print(f'{$data_bytes / 1e6 / max($1, 0.001):.1f}')"; }

restic -q init --repo "$work/restic" >/dev/null
read -r r_first r_first_mem < <(run restic -q backup --repo "$work/restic" "$work/data")
read -r r_again r_again_mem < <(run restic -q backup --repo "$work/restic" "$work/data")
read -r r_restore r_restore_mem < <(run restic -q restore latest --repo "$work/restic" --target "$work/restic-restore")
r_stored=$(du -sb "$work/restic" | cut -f1)
# restic's restore stays until the end: deleting 48k files just before file-backup's runs would
# make ext4 slow to hand out inodes again (it avoids recently freed ones) in file-backup's restore.

"$fb" --repo "$work/fb" init 2>/dev/null
read -r f_first f_first_mem < <(run "$fb" --repo "$work/fb" backup "$work/data")
read -r f_again f_again_mem < <(run "$fb" --repo "$work/fb" backup "$work/data")
read -r f_restore f_restore_mem < <(run "$fb" --repo "$work/fb" restore latest --target "$work/fb-restore")
f_stored=$(du -sb "$work/fb" | cut -f1)
diff -r "$work/data" "$work/fb-restore$work/data" >/dev/null && same=yes || same=NO

echo "dataset: $((data_bytes / 1000000)) MB in $files files ($(nproc) cores); restore identical: $same"
printf '%-28s %14s %14s\n' "" "restic $(restic version | cut -d' ' -f2)" "file-backup"
printf '%-28s %9s s %4s %9s s %4s\n' "first backup" "$r_first" "" "$f_first" ""
printf '%-28s %11s MB/s %11s MB/s\n' "  throughput" "$(mbps "$r_first")" "$(mbps "$f_first")"
printf '%-28s %11s MB %13s MB\n' "  stored" "$((r_stored / 1000000))" "$((f_stored / 1000000))"
printf '%-28s %11s s %14s s\n' "no-change re-run" "$r_again" "$f_again"
printf '%-28s %11s s %14s s\n' "restore" "$r_restore" "$f_restore"
printf '%-28s %11s MB %13s MB\n' "peak memory (backup)" "$((r_first_mem / 1024))" "$((f_first_mem / 1024))"
printf '%-28s %11s MB %13s MB\n' "peak memory (restore)" "$((r_restore_mem / 1024))" "$((f_restore_mem / 1024))"
python3 -c "print(f'first-backup throughput ratio (file-backup / restic): {$r_first / max($f_first, 0.001):.2f}x (target >= 1.5x)')"
