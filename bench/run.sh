#!/usr/bin/env bash
# Benchmark: ./v2v disk convert vs qemu-img convert on a 4 GiB mixed-content disk in every input format.
# See bench/README.md. Usage:
#   bench/run.sh                       # everything (fixtures are built once and reused)
#   PAIRS=5 bench/run.sh               # more A/B pairs
#   CASES="raw qcow2" MODES="plain" bench/run.sh
#   MEMCHECK=0 bench/run.sh            # skip the 4 GiB vs 32 GiB memory check
# Environment: BENCH_DIR (default /var/tmp/v2v-bench, needs ~12 GiB free), PAIRS (3),
#   CASES (raw qcow2 monolithicSparse twoGbMaxExtentSparse monolithicFlat streamOptimized),
#   MODES (plain compressed), COMPRESS_CASES (raw monolithicSparse streamOptimized), MEMCHECK (1).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${BENCH_DIR:-/var/tmp/v2v-bench}"
pairs="${PAIRS:-3}"
cases="${CASES:-raw qcow2 monolithicSparse twoGbMaxExtentSparse monolithicFlat streamOptimized}"
modes="${MODES:-plain compressed}"
compress_cases="${COMPRESS_CASES:-raw monolithicSparse streamOptimized}"
memcheck="${MEMCHECK:-1}"
fx="$work/fixtures"
out="$work/out"
results="$work/results.tsv"
mkdir -p "$fx" "$out"
command -v qemu-img >/dev/null || { echo "bench: qemu-img missing (apt-get install qemu-utils)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }

# Build the CLI once (Release) and call the dll directly so build checks are not timed.
"$root/v2v" --version >/dev/null
v2v=(dotnet "$root/.cache/cli/v2v.dll")

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
    case " $cases " in *" $sub "*) ;; *) continue ;; esac
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

# run TOOL CASE MODE PAIR INPUT OUTPUT: one timed conversion, appends a row to results.tsv
run_one() {
  local tool=$1 case=$2 mode=$3 pair=$4 in=$5 target=$6 c=() t
  [ "$mode" = compressed ] && c=(-c)
  rm -f "$target"
  t="$out/time.txt"
  if [ "$tool" = ours ]; then
    /usr/bin/time -f "%e %M %U %S" -o "$t" "${v2v[@]}" disk convert "$in" "$target" -O qcow2 "${c[@]}" >/dev/null 2>"$out/err.txt" || { log "ours failed on $case: $(tail -1 "$out/err.txt")"; return 1; }
  else
    /usr/bin/time -f "%e %M %U %S" -o "$t" qemu-img convert -O qcow2 "${c[@]}" "$in" "$target" 2>"$out/err.txt" || { log "qemu-img failed on $case"; return 1; }
  fi
  read -r wall rss user sys < "$t"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$case" "$mode" "$tool" "$pair" "$wall" "$rss" "$user" "$sys" "$(stat -c %s "$target")" >> "$results"
}

verify() {  # the outputs are judged by qemu-img, once per case
  local in=$1 target=$2
  qemu-img check -q "$target" || { log "qemu-img check FAILED on $target"; return 1; }
  qemu-img compare -q "$in" "$target" || { log "qemu-img compare FAILED on $target"; return 1; }
}

build_fixtures
printf 'case\tmode\ttool\tpair\twall_s\tmaxrss_kb\tuser_s\tsys_s\tout_bytes\n' > "$results"

for case in $cases; do
  in="$(input_of "$case")"
  # The VMDK reader may not be wired in yet: probe once and skip with a message.
  if ! "${v2v[@]}" disk convert "$in" "$out/probe.raw" >/dev/null 2>"$out/err.txt"; then
    log "skip $case: ours cannot read it: $(tail -1 "$out/err.txt")"
    rm -f "$out/probe.raw"
    continue
  fi
  rm -f "$out/probe.raw"
  for mode in $modes; do
    if [ "$mode" = compressed ]; then case " $compress_cases " in *" $case "*) ;; *) continue ;; esac; fi
    log "$case $mode: warm-up + check"
    run_one ours "$case" "$mode" 0 "$in" "$out/ours.qcow2"; verify "$in" "$out/ours.qcow2"
    run_one qemu "$case" "$mode" 0 "$in" "$out/qemu.qcow2"
    for p in $(seq 1 "$pairs"); do
      log "$case $mode: pair $p"
      run_one ours "$case" "$mode" "$p" "$in" "$out/ours.qcow2"
      run_one qemu "$case" "$mode" "$p" "$in" "$out/qemu.qcow2"
    done
  done
done

if [ "$memcheck" = 1 ]; then
  for size in 4 32; do
    in="$fx/disk.raw"; [ "$size" = 32 ] && in="$fx/disk32.raw"
    log "memory check: ${size} GiB virtual"
    run_one ours "mem-${size}g" plain 1 "$in" "$out/ours.qcow2"
    run_one ours "mem-${size}g" compressed 1 "$in" "$out/ours.qcow2"
  done
fi
rm -f "$out/ours.qcow2" "$out/qemu.qcow2"

python3 "$root/bench/summarize.py" "$results" "$(stat -c %s "$fx/disk.raw")"
