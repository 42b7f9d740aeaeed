#!/usr/bin/env bash
# Benchmark: ./v2v disk convert vs qemu-img convert on a 4 GiB mixed-content disk in every input format, written to
# tmpfs (the engines alone) and to disk (with the write-back), wall time AND user+sys CPU. See bench/README.md. Usage:
#   bench/run.sh                       # everything (fixtures are built once and reused)
#   PAIRS=5 bench/run.sh               # more pairs
#   CASES="raw qcow2" MODES="plain" TARGETS=tmpfs bench/run.sh
#   MEMCHECK=0 FOUR=0 bench/run.sh     # skip the 4 GiB vs 32 GiB memory check and the four-at-once runs
# Environment: BENCH_DIR (default /var/tmp/v2v-bench, needs ~12 GiB free), PAIRS (3),
#   CASES (raw qcow2 monolithicSparse twoGbMaxExtentSparse monolithicFlat streamOptimized),
#   MODES (plain compressed), COMPRESS_CASES (raw monolithicSparse streamOptimized), MEMCHECK (1),
#   TARGETS (tmpfs disk), SHM_DIR (/dev/shm/v2v-bench: must be on tmpfs), PAUSE (5 s after `sync`, disk target),
#   FOUR (1), FOUR_CASES (monolithicSparse), FOUR_TARGETS (tmpfs disk), FOUR_ROUNDS (2), FOUR_N (4),
#   R2R (0; 1 = run ours as a ReadyToRun build with tiered compilation off, results in results-r2r.tsv / four-r2r.tsv),
#   TAG (none; results-TAG.tsv / four-TAG.tsv, so that several passes keep their rows).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${BENCH_DIR:-/var/tmp/v2v-bench}"
pairs="${PAIRS:-3}"
cases="${CASES:-raw qcow2 monolithicSparse twoGbMaxExtentSparse monolithicFlat streamOptimized}"
modes="${MODES:-plain compressed}"
compress_cases="${COMPRESS_CASES:-raw monolithicSparse streamOptimized}"
memcheck="${MEMCHECK:-1}"
targets="${TARGETS:-tmpfs disk}"
shm="${SHM_DIR:-/dev/shm/v2v-bench}"
pause="${PAUSE:-5}"
four="${FOUR:-1}"
four_cases="${FOUR_CASES:-monolithicSparse}"
four_targets="${FOUR_TARGETS:-tmpfs disk}"
four_rounds="${FOUR_ROUNDS:-2}"
four_n="${FOUR_N:-4}"
r2r="${R2R:-0}"
fx="$work/fixtures"
out="$work/out"
suffix="${TAG:+-$TAG}"; [ "$r2r" = 1 ] && suffix="$suffix-r2r"
results="$work/results$suffix.tsv"
four_results="$work/four$suffix.tsv"
mkdir -p "$fx" "$out" "$shm"
command -v qemu-img >/dev/null || { echo "bench: qemu-img missing (apt-get install qemu-utils)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }
case " $targets $four_targets " in
  *" tmpfs "*) [ "$(stat -f -c %T "$shm")" = tmpfs ] || { echo "bench: SHM_DIR=$shm is not on tmpfs" >&2; exit 1; } ;;
esac

# Build the CLI once (Release) and call the dll directly so build checks are not timed.
"$root/v2v" --version >/dev/null
v2v=(dotnet "$root/.cache/cli/v2v.dll")
if [ "$r2r" = 1 ]; then
  # The start-up experiment: the committed sources (HEAD) published ReadyToRun (precompiled) from a copy of the tree
  # (its obj/ folders must not make ./v2v rebuild), run without tiered compilation, so that nothing is compiled twice
  # in a short process. Published once per commit.
  head=$(git -C "$root" rev-parse --short HEAD)
  if [ ! -f "$work/cli-r2r/$head" ]; then
    log "publishing a ReadyToRun copy of the CLI at $head into $work/cli-r2r"
    rm -rf "$work/r2r-src" "$work/cli-r2r"; mkdir -p "$work/r2r-src"
    git -C "$root" archive HEAD | tar -x -C "$work/r2r-src"
    dotnet publish "$work/r2r-src/src/V2VConverter.Cli/V2VConverter.Cli.csproj" -c Release -r linux-x64 --self-contained false \
      -p:PublishReadyToRun=true -o "$work/cli-r2r" -nologo -v q >/dev/null
    touch "$work/cli-r2r/$head"
  fi
  v2v=(env DOTNET_TieredCompilation=0 dotnet "$work/cli-r2r/v2v.dll")
fi
# What /usr/bin/time records: wall, peak RSS KiB, user s, system s, involuntary and voluntary context switches.
time_format="%e %M %U %S %c %w"

log() { printf '%s\n' "bench: $*" >&2; }

# ---- fixtures --------------------------------------------------------------------------------
build_fixtures() {
  if [ ! -f "$fx/disk.raw" ]; then
    log "building the 4 GiB raw fixture"
    python3 "$root/bench/make-fixture.py" "$fx/disk.raw.tmp" --size-gib 4 --zeros-list "$fx/zeros.txt"
    mv "$fx/disk.raw.tmp" "$fx/disk.raw"
  fi
  if [ ! -f "$fx/disk.qcow2" ]; then
    log "qcow2 input"
    qemu-img convert -f raw -O qcow2 "$fx/disk.raw" "$fx/disk.qcow2.tmp" && mv "$fx/disk.qcow2.tmp" "$fx/disk.qcow2"
  fi
  for sub in monolithicSparse twoGbMaxExtentSparse monolithicFlat streamOptimized; do
    case " $cases $four_cases " in *" $sub "*) ;; *) continue ;; esac
    d="$fx/$sub"
    [ -f "$d/done" ] && continue
    log "vmdk $sub"
    rm -rf "$d"; mkdir -p "$d"
    qemu-img convert -f raw -O vmdk -o "subformat=$sub" "$fx/disk.raw" "$d/disk.vmdk"
    if [ "$sub" != streamOptimized ]; then
      # qemu-img convert drops zero runs; write them back as real (allocated) zero grains.
      args=()
      while read -r off; do [ -n "$off" ] && args+=(-c "write -P 0 $off 1M"); done < "$fx/zeros.txt"
      [ ${#args[@]} -gt 0 ] && qemu-io -f vmdk "${args[@]}" "$d/disk.vmdk" >/dev/null
    fi
    touch "$d/done"
  done
  if [ "$memcheck" = 1 ] && [ ! -f "$fx/disk32.raw" ]; then
    log "building the 32 GiB raw fixture (same data spread out)"
    python3 "$root/bench/make-fixture.py" "$fx/disk32.raw.tmp" --size-gib 32 --data-gib 4
    mv "$fx/disk32.raw.tmp" "$fx/disk32.raw"
  fi
}

input_of() {
  case "$1" in
    raw) echo "$fx/disk.raw" ;;
    qcow2) echo "$fx/disk.qcow2" ;;
    *) echo "$fx/$1/disk.vmdk" ;;
  esac
}

dir_of() {  # where a target's outputs go
  case "$1" in
    tmpfs) echo "$shm" ;;
    disk) echo "$out" ;;
    *) log "unknown target $1 (tmpfs or disk)"; exit 2 ;;
  esac
}

# The command line of one conversion: cmd_of TOOL MODE IN OUT (into the array `cmd`).
cmd_of() {
  local tool=$1 mode=$2 in=$3 target=$4 c=()
  [ "$mode" = compressed ] && c=(-c)
  if [ "$tool" = ours ]; then
    cmd=("${v2v[@]}" disk convert "$in" "$target" -O qcow2 "${c[@]}")
  else
    cmd=(qemu-img convert -O qcow2 "${c[@]}" "$in" "$target")
  fi
}

# To disk, each run starts with nothing dirty in the page cache (no run pays for the previous one's write-back):
# `sync`, then a pause. The `sync` after the run is timed separately (the write-back this run left behind).
settle() { [ "$1" = disk ] && { sync; sleep "$pause"; }; return 0; }

timed_sync() {
  local s e
  s=$(date +%s.%N); sync; e=$(date +%s.%N)
  python3 -c "print(f'{$e-$s:.2f}')"
}

# run TARGET TOOL CASE MODE PAIR ORDER INPUT OUTPUT: one timed conversion, appends a row to results.tsv
run_one() {
  local where=$1 tool=$2 case=$3 mode=$4 pair=$5 order=$6 in=$7 target=$8 t sync_s=0 cmd
  rm -f "$target"
  settle "$where"
  t="$out/time.txt"
  cmd_of "$tool" "$mode" "$in" "$target"
  /usr/bin/time -f "$time_format" -o "$t" "${cmd[@]}" >/dev/null 2>"$out/err.txt" || { log "$tool failed on $case: $(tail -1 "$out/err.txt")"; return 1; }
  [ "$where" = disk ] && sync_s=$(timed_sync)
  read -r wall rss user sys nivcsw nvcsw < "$t"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$where" "$case" "$mode" "$tool" "$pair" "$order" \
    "$wall" "$rss" "$user" "$sys" "$(stat -c %s "$target")" "$sync_s" "$nivcsw" "$nvcsw" >> "$results"
}

verify() {  # the outputs are judged by qemu-img, once per case
  local in=$1 target=$2
  qemu-img check -q "$target" || { log "qemu-img check FAILED on $target"; return 1; }
  qemu-img compare -q "$in" "$target" || { log "qemu-img compare FAILED on $target"; return 1; }
}

# four TARGET TOOL CASE MODE ROUND INPUT: FOUR_N conversions of the same input at once; one row in four.tsv with the
# wall time of the whole group, the sum of their user+sys CPU and the largest peak RSS.
run_group() {
  local where=$1 tool=$2 case=$3 mode=$4 round=$5 in=$6 dir i s e pids=() cmd sync_s=0
  dir="$(dir_of "$where")"
  rm -f "$dir"/four-*.qcow2
  settle "$where"
  s=$(date +%s.%N)
  for i in $(seq 1 "$four_n"); do
    cmd_of "$tool" "$mode" "$in" "$dir/four-$i.qcow2"
    /usr/bin/time -f "$time_format" -o "$out/four-time-$i.txt" "${cmd[@]}" >/dev/null 2>"$out/four-err-$i.txt" &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || { log "$tool failed in a group of $four_n on $case: $(tail -1 "$out/four-err-$((i + 1)).txt")"; return 1; }
  done
  e=$(date +%s.%N)
  [ "$where" = disk ] && sync_s=$(timed_sync)
  python3 - "$where" "$case" "$mode" "$tool" "$round" "$s" "$e" "$sync_s" "$out"/four-time-*.txt >> "$four_results" <<'EOF'
import sys
where, case, mode, tool, rnd, s, e, sync_s, *files = sys.argv[1:]
rows = [open(f).read().split() for f in files]
cpu = sum(float(r[2]) + float(r[3]) for r in rows)
rss = max(int(r[1]) for r in rows)
slowest = max(float(r[0]) for r in rows)
print("\t".join([where, case, mode, tool, rnd, str(len(rows)), f"{float(e) - float(s):.2f}", f"{slowest:.2f}", f"{cpu:.2f}", str(rss), sync_s]))
EOF
  rm -f "$dir"/four-*.qcow2 "$out"/four-time-*.txt
}

build_fixtures
printf 'target\tcase\tmode\ttool\tpair\torder\twall_s\tmaxrss_kb\tuser_s\tsys_s\tout_bytes\tsync_s\tnivcsw\tnvcsw\n' > "$results"
printf 'target\tcase\tmode\ttool\tround\tn\twall_s\tslowest_s\tcpu_s\tmaxrss_kb\tsync_s\n' > "$four_results"
log "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); ours $(git -C "$root" rev-parse --short HEAD) (${v2v[*]}); $(qemu-img --version | head -1)"

for case in $cases; do
  in="$(input_of "$case")"
  # The VMDK reader may not be wired in yet: probe once and skip with a message.
  case "$case" in
    raw | qcow2) ;;
    *) if ! "${v2v[@]}" disk info "$in" >/dev/null 2>"$out/err.txt"; then
         log "skip $case: ours cannot read it: $(tail -1 "$out/err.txt")"
         continue
       fi ;;
  esac
  for mode in $modes; do
    if [ "$mode" = compressed ]; then case " $compress_cases " in *" $case "*) ;; *) continue ;; esac; fi
    for where in $targets; do
      dir="$(dir_of "$where")"
      log "$case $mode -> $where: warm-up + check"
      run_one "$where" ours "$case" "$mode" 0 1 "$in" "$dir/ours.qcow2"; verify "$in" "$dir/ours.qcow2"
      run_one "$where" qemu "$case" "$mode" 0 2 "$in" "$dir/qemu.qcow2"
      for p in $(seq 1 "$pairs"); do
        log "$case $mode -> $where: pair $p"
        if [ $((p % 2)) = 1 ]; then
          run_one "$where" ours "$case" "$mode" "$p" 1 "$in" "$dir/ours.qcow2"
          run_one "$where" qemu "$case" "$mode" "$p" 2 "$in" "$dir/qemu.qcow2"
        else
          run_one "$where" qemu "$case" "$mode" "$p" 1 "$in" "$dir/qemu.qcow2"
          run_one "$where" ours "$case" "$mode" "$p" 2 "$in" "$dir/ours.qcow2"
        fi
      done
      rm -f "$dir/ours.qcow2" "$dir/qemu.qcow2"
    done
  done
done

if [ "$four" = 1 ]; then
  for case in $four_cases; do
    in="$(input_of "$case")"
    for where in $four_targets; do
      for r in $(seq 1 "$four_rounds"); do
        log "$case plain -> $where: $four_n at once, round $r"
        if [ $((r % 2)) = 1 ]; then
          run_group "$where" ours "$case" plain "$r" "$in"; run_group "$where" qemu "$case" plain "$r" "$in"
        else
          run_group "$where" qemu "$case" plain "$r" "$in"; run_group "$where" ours "$case" plain "$r" "$in"
        fi
      done
    done
  done
fi

if [ "$memcheck" = 1 ]; then
  where="${targets%% *}"
  dir="$(dir_of "$where")"
  for size in 4 32; do
    in="$fx/disk.raw"; [ "$size" = 32 ] && in="$fx/disk32.raw"
    log "memory check: ${size} GiB virtual"
    run_one "$where" ours "mem-${size}g" plain 1 1 "$in" "$dir/ours.qcow2"
    run_one "$where" ours "mem-${size}g" compressed 1 1 "$in" "$dir/ours.qcow2"
  done
  rm -f "$dir/ours.qcow2"
fi

python3 "$root/bench/summarize.py" "$results" "$(stat -c %s "$fx/disk.raw")" "$four_results"
