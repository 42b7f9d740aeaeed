#!/usr/bin/env bash
# Four conversions at once, interleaved in one window: qemu-img against ours in several start-up configurations of the
# same sources, so that the configurations are compared under the same load (bench/run.sh runs one per pass).
#   ours-jit      dotnet .cache/cli/v2v.dll as ./v2v builds it (JIT, tiered compilation, TieredPGO on)
#   ours-nopgo    the same with DOTNET_TieredPGO=0
#   ours-r2r      the ReadyToRun copy published by `R2R=1 bench/run.sh` ($BENCH_DIR/cli-r2r), DOTNET_TieredCompilation=0
# Usage: ROUNDS=3 CASE=monolithicSparse TARGET=tmpfs bench/four-ab.sh   (fixtures from bench/run.sh)
# Rows: $BENCH_DIR/four-ab.tsv (variant, round, wall of the group, sum of user+sys CPU, largest peak RSS).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${BENCH_DIR:-/var/tmp/v2v-bench}"
rounds="${ROUNDS:-3}"
case="${CASE:-monolithicSparse}"
target="${TARGET:-tmpfs}"
n="${FOUR_N:-4}"
variants="${VARIANTS:-qemu ours-jit ours-nopgo ours-r2r}"
in="$work/fixtures/$case/disk.vmdk"; [ "$case" = raw ] && in="$work/fixtures/disk.raw"
dir="${SHM_DIR:-/dev/shm/v2v-bench}"; [ "$target" = disk ] && dir="$work/out"
[ -f "$in" ] || { echo "four-ab: no fixture $in (run bench/run.sh first)" >&2; exit 1; }
[ -f "$work/cli-r2r/v2v.dll" ] || case " $variants " in *" ours-r2r "*) echo "four-ab: no $work/cli-r2r (R2R=1 bench/run.sh)" >&2; exit 1 ;; esac
"$root/v2v" --version >/dev/null
mkdir -p "$dir" "$work/out"
results="$work/four-ab.tsv"
[ -f "$results" ] || printf 'target\tcase\tvariant\tround\tn\twall_s\tcpu_s\tmaxrss_kb\tload1\n' > "$results"

cmd_of() {  # VARIANT OUTPUT -> array cmd
  case "$1" in
    qemu) cmd=(qemu-img convert -O qcow2 "$in" "$2") ;;
    ours-jit) cmd=(dotnet "$root/.cache/cli/v2v.dll" disk convert "$in" "$2" -O qcow2) ;;
    ours-nopgo) cmd=(env DOTNET_TieredPGO=0 dotnet "$root/.cache/cli/v2v.dll" disk convert "$in" "$2" -O qcow2) ;;
    ours-r2r) cmd=(env DOTNET_TieredCompilation=0 dotnet "$work/cli-r2r/v2v.dll" disk convert "$in" "$2" -O qcow2) ;;
    *) echo "four-ab: unknown variant $1" >&2; exit 2 ;;
  esac
}

group() {  # VARIANT ROUND
  local v=$1 r=$2 i s e pids=() load
  rm -f "$dir"/ab-*.qcow2 "$work"/out/ab-time-*.txt
  [ "$target" = disk ] && { sync; sleep 5; }
  load=$(cut -d' ' -f1 /proc/loadavg)
  s=$(date +%s.%N)
  for i in $(seq 1 "$n"); do
    cmd_of "$v" "$dir/ab-$i.qcow2"
    /usr/bin/time -f "%e %M %U %S" -o "$work/out/ab-time-$i.txt" "${cmd[@]}" >/dev/null 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  e=$(date +%s.%N)
  python3 - "$target" "$case" "$v" "$r" "$s" "$e" "$load" "$work"/out/ab-time-*.txt >> "$results" <<'EOF'
import sys
target, case, v, r, s, e, load, *files = sys.argv[1:]
rows = [open(f).read().split() for f in files]
print("\t".join([target, case, v, r, str(len(rows)), f"{float(e) - float(s):.2f}",
                 f"{sum(float(x[2]) + float(x[3]) for x in rows):.2f}", str(max(int(x[1]) for x in rows)), load]))
EOF
  tail -1 "$results" >&2
  rm -f "$dir"/ab-*.qcow2
}

for r in $(seq 1 "$rounds"); do
  # Rotate the order every round so that no variant always follows the same one.
  set -- $variants
  for _ in $(seq 2 "$r"); do set -- "${@:2}" "$1"; done
  for v in "$@"; do group "$v" "$r"; done
done

python3 - "$results" <<'EOF'
import csv, statistics, sys
from collections import defaultdict
g = defaultdict(list)
for r in csv.DictReader(open(sys.argv[1]), delimiter="\t"):
    g[(r["target"], r["case"], r["variant"])].append(r)
print("| target | input | variant | rounds | wall s median (runs) | CPU s median, sum of 4 (runs) | peak RSS of one MiB |")
print("|---|---|---|---|---|---|---|")
for k in sorted(g):
    rows = g[k]
    w = [float(r["wall_s"]) for r in rows]; c = [float(r["cpu_s"]) for r in rows]
    print(f"| {k[0]} | {k[1]} | {k[2]} | {len(rows)} | {statistics.median(w):.2f} ({', '.join(f'{x:.1f}' for x in w)}) | "
          f"{statistics.median(c):.2f} ({', '.join(f'{x:.1f}' for x in c)}) | {max(int(r['maxrss_kb']) for r in rows) // 1024} |")
EOF
