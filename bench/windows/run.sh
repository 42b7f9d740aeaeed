#!/usr/bin/env bash
# Windows guest benchmark (issue 14): the phony win10 fixture guest (UEFI, GPT, lsisas1068, e1000e; built and cached
# by tests/deps/setup.d/windows-fixture.sh) converted to qcow2 by two contenders, each RUNS times after one warm-up:
#   ours      ./v2v convert win10.vmx -o local -os OUT --virtio-win TREE
#   virt-v2v  VIRTIO_WIN=TREE VIRT_TOOLS_DATA_DIR=TOOLS virt-v2v -i vmx win10.vmx -o local -os OUT -of qcow2
# both with the fake virtio-win tree of the fixture, under the same LIBGUESTFS_BACKEND(_SETTINGS) (direct, force_tcg).
# Records the wall time and the peak RSS of the largest process (/usr/bin/time -v), prints a table with the medians
# and the ratio ours/virt-v2v. Writes nothing into the repository: copy the figures into bench/RESULTS.md by hand.
# See bench/windows/README.md. Usage:
#   bench/windows/run.sh                      # RUNS=3
#   RUNS=1 TOOLS=virt-v2v bench/windows/run.sh
# Environment: BENCH_DIR (default /var/tmp/v2v-bench; the work goes to $BENCH_DIR/windows), RUNS (3),
#   TOOLS (ours virt-v2v), VARIANT (win10; any of the fixture's guests), VIRTIO (tree | iso: what ours gets).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
runs=${RUNS:-3}
tools=${TOOLS:-ours virt-v2v}
variant=${VARIANT:-win10}
work=${BENCH_DIR:-/var/tmp/v2v-bench}/windows
export LIBGUESTFS_BACKEND=${LIBGUESTFS_BACKEND:-direct} LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}
export LIBGUESTFS_CACHEDIR=${LIBGUESTFS_CACHEDIR:-/var/tmp}

log() { printf 'bench-windows: %s\n' "$*" >&2; }

# virt-v2v, nbdkit, libnbd-bin, ovmf (a UEFI guest) and time are in tests/deps/apt-packages.txt.
for c in virt-v2v nbdkit nbdcopy /usr/bin/time /usr/share/OVMF/OVMF_CODE.fd; do
  [ -e "$c" ] || command -v "$c" >/dev/null || { log "$c is missing: install tests/deps/apt-packages.txt (tests/run.sh does)"; exit 1; }
done

# ---- fixture ---------------------------------------------------------------------------------------------------
fx=$(bash "$root/tests/deps/setup.d/windows-fixture.sh" path | tail -n 1)
vmx=$fx/$variant/$variant.vmx
[ -f "$vmx" ] || { log "no $vmx (../shared/fixtures absent?)"; exit 1; }
tree=$fx/virtio-win
toolsdir=$fx/virt-tools
virtio=$tree
[ "${VIRTIO:-tree}" = iso ] && virtio=$fx/virtio-win.iso
log "fixture: $vmx ($(qemu-img info --output=json "$fx/$variant/$variant.vmdk" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["virtual-size"]//2**20, "MiB virtual,", d["actual-size"]//2**20, "MiB allocated")'))"

if [[ " $tools " == *" ours "* ]]; then
  "$root/v2v" --version >/dev/null   # build the CLI once, outside the timed runs
fi
v2v=(dotnet "$root/.cache/cli/v2v.dll")

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

declare -A walls=() rsss=() oks=()
# run_one TOOL N: one timed conversion into a fresh folder; returns non-zero when the tool failed.
run_one() {
  local tool=$1 n=$2 out=$work/run/$1-$2 rc=0
  rm -rf "$work/run"; mkdir -p "$out" "$work/logs"
  local -a cmd env=()
  case $tool in
    ours) cmd=("${v2v[@]}" convert "$vmx" -o local -os "$out" --virtio-win "$virtio") ;;
    virt-v2v)
      env=(VIRTIO_WIN="$tree" VIRT_TOOLS_DATA_DIR="$toolsdir")
      cmd=(virt-v2v -i vmx "$vmx" -o local -os "$out" -of qcow2) ;;
  esac
  env "${env[@]}" /usr/bin/time -v -o "$work/logs/$tool-$n.time" "${cmd[@]}" >"$work/logs/$tool-$n.out" 2>"$work/logs/$tool-$n.err" || rc=$?
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s}' "$work/logs/$tool-$n.time")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/logs/$tool-$n.time")
  if [ "$rc" != 0 ]; then
    log "$tool run $n FAILED (exit $rc) in ${wall} s: $(grep -v '^\s*$' "$work/logs/$tool-$n.err" | tail -n 1)"
    return 1
  fi
  local disks=("$out"/*-sd*)
  [ -e "${disks[0]}" ] || { log "$tool run $n: no *-sd* disk in $out: $(ls "$out" | tr '\n' ' ')"; return 1; }
  for d in "${disks[@]}"; do qemu-img check -q "$d" || { log "$tool: qemu-img check FAILED on $d"; return 1; }; done
  log "$tool run $n: ok, ${wall} s, peak RSS ${rss} KiB, $(ls "$out" | tr '\n' ' ')"
  if [ "$n" != 0 ]; then
    walls[$tool]="${walls[$tool]:-} $wall"; rsss[$tool]="${rsss[$tool]:-} $rss"; oks[$tool]=$((${oks[$tool]:-0} + 1))
  fi
}

declare -A skip=()
for n in $(seq 0 "$runs"); do
  for tool in $tools; do
    [ -n "${skip[$tool]:-}" ] && continue
    [ "$n" = 0 ] && log "$tool: warm-up (run 0, not in the medians)"
    if ! run_one "$tool" "$n" && [ "$n" = 0 ]; then
      log "$tool: the warm-up failed, skipped (logs in $work/logs)"
      skip[$tool]=1
    fi
  done
done
rm -rf "$work/run"

# ---- summary -------------------------------------------------------------------------------------------------
echo
echo "Windows benchmark ($variant), $(date -u '+%Y-%m-%d %H:%M') UTC, $(nproc) CPUs, RUNS=$runs, $LIBGUESTFS_BACKEND/$LIBGUESTFS_BACKEND_SETTINGS"
echo
echo '| contender | runs ok | wall median s | wall per run s | peak RSS median MiB |'
echo '|---|---|---|---|---|'
declare -A med=()
for tool in $tools; do
  if [ -z "${oks[$tool]:-}" ]; then echo "| $tool | 0 | - | - | - |"; continue; fi
  # shellcheck disable=SC2086
  med[$tool]=$(median ${walls[$tool]})
  # shellcheck disable=SC2086
  echo "| $tool | ${oks[$tool]} | ${med[$tool]} | $(echo ${walls[$tool]} | tr ' ' '/') | $(median $(for r in ${rsss[$tool]}; do echo $((r / 1024)); done)) |"
done
if [ -n "${med[ours]:-}" ] && [ -n "${med[virt-v2v]:-}" ]; then
  echo
  echo "ratio ours/virt-v2v (wall median): $(awk -v a="${med[ours]}" -v b="${med[virt-v2v]}" 'BEGIN {printf "%.2f", a / b}')"
fi
echo
echo "logs: $work/logs"
