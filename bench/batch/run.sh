#!/usr/bin/env bash
# Batch benchmark (issue 15 point 6). Two parts:
#   plan: `v2v plan` of a vSphere simulator (tests/vcsim) holding PLAN_VMS VMs (ESX model, all powered off); target <= 10 s.
#   run:  `v2v run plan.yaml --parallel PARALLEL --per-host PARALLEL` of a folder of RUN_VMS VMs (.vmx + a DISK_MIB MiB monolithicSparse
#         VMDK with mixed data each, no guest fixups), against RUN_VMS sequential `v2v convert` of the same VMs; wall,
#         CPU and peak RSS; the same run with SMALL_VMS VMs shows whether the memory grows with the number of VMs.
# Usage: bench/batch/run.sh [plan|run|all]   (default all)
# Environment: BENCH_DIR (/var/tmp/v2v-bench; the batch work goes in $BENCH_DIR/batch, ~12 GiB for 50 VMs),
#   PLAN_VMS (1000), PLAN_RUNS (3), RUN_VMS (50), SMALL_VMS (10), DISK_MIB (256), PARALLEL (4), SEQ (1: also the
#   sequential converts), PAUSE (5 s after `sync` before each timed step), FIXTURE_ONLY (0: 1 = build the VM folders, stop).
# Results: $BENCH_DIR/batch/plan.tsv and run.tsv, and a Markdown summary on stdout. See bench/batch/README.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
what="${1:-all}"
work="${BENCH_DIR:-/var/tmp/v2v-bench}/batch"
plan_vms="${PLAN_VMS:-1000}"
plan_runs="${PLAN_RUNS:-3}"
run_vms="${RUN_VMS:-50}"
small_vms="${SMALL_VMS:-10}"
disk_mib="${DISK_MIB:-256}"
parallel="${PARALLEL:-4}"
seq_too="${SEQ:-1}"
pause="${PAUSE:-5}"
fixture_only="${FIXTURE_ONLY:-0}"
mkdir -p "$work"
command -v qemu-img >/dev/null || { echo "bench: qemu-img missing (apt-get install qemu-utils)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }
log() { printf '%s\n' "bench: $*" >&2; }
time_format="%e %U %S %M"   # wall s, user s, sys s, peak RSS KiB

# Build the CLI once (Release) and call the dll directly so build checks are not timed.
"$root/v2v" --version >/dev/null
v2v=(dotnet "$root/.cache/cli/v2v.dll")
settle() { sync; sleep "$pause"; }

# ---- plan: 1000 VMs in the simulator -----------------------------------------------------------
bench_plan() {
  "$root/tests/vcsim/build.sh" >&2
  local banner="$work/vcsim.json" fifo pid host sha count uri t0
  fifo="$(mktemp -u)"; mkfifo "$fifo"
  # vcsim exits when its stdin closes: hold the fifo open from this shell (fd 9) until the end.
  "$root/.cache/vcsim/vcsim-v2v" -model esx -vm "$plan_vms" -off all -user bench -pass bench-pw <"$fifo" >"$banner" 2>"$work/vcsim.log" &
  pid=$!
  exec 9>"$fifo"
  t0=$SECONDS
  until [ -s "$banner" ] && [ "$(tail -c 1 "$banner" | od -An -c | tr -d ' ')" = '\n' ]; do
    kill -0 "$pid" 2>/dev/null || { log "vcsim died: $(tail -5 "$work/vcsim.log")"; exit 1; }
    sleep 0.5
  done
  host=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["host"])' "$banner")
  sha=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sha256"])' "$banner")
  count=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["vms"]))' "$banner")
  log "simulator with $count VMs ready in $((SECONDS - t0)) s at $host"
  uri="esx://bench@$host/"
  printf 'vms\trun\twall_s\tuser_s\tsys_s\tmaxrss_kb\texit\tplanned\n' > "$work/plan.tsv"
  for run in $(seq 1 "$plan_runs"); do
    local rc=0 planned
    rm -rf "$work/plan-out"; mkdir -p "$work/plan-out"
    /usr/bin/time -f "$time_format" -o "$work/plan-time.txt" env V2V_PASSWORD=bench-pw "${v2v[@]}" plan "$uri" \
      --thumbprint "$sha" -o local -os "$work/plan-out" >"$work/plan-$plan_vms.yaml" 2>"$work/plan.err" || rc=$?
    planned=$(count_plan "$work/plan-$plan_vms.yaml")
    read -r wall user sys rss < <(tail -1 "$work/plan-time.txt")
    log "plan run $run: ${wall} s wall, ${user}+${sys} s CPU, $((rss / 1024)) MiB peak RSS, exit $rc, $planned VMs in the plan"
    [ "$planned" = "$count" ] || log "WARNING: the plan lists $planned VMs, the simulator has $count ($(tail -2 "$work/plan.err"))"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$count" "$run" "$wall" "$user" "$sys" "$rss" "$rc" "$planned" >> "$work/plan.tsv"
  done
  exec 9>&-
  wait "$pid" || true
  rm -f "$fifo"
}

count_plan() {  # the number of VMs in a plan (YAML: a top-level list whose key is vms, in any case)
  python3 - "$1" <<'EOF'
import sys, yaml
try:
    doc = yaml.safe_load(open(sys.argv[1])) or {}
except Exception:
    print(-1); sys.exit()
vms = next((v for k, v in doc.items() if str(k).lower() == "vms"), None) if isinstance(doc, dict) else None
print(len(vms) if isinstance(vms, list) else -1)
EOF
}

# ---- run: N VMs of DISK_MIB MiB ------------------------------------------------------------------
vm_name() { printf 'bench-vm-%02d' "$1"; }

build_vms() {  # RUN_VMS folders of .vmx + monolithicSparse VMDK, each with its own data (seed 4242 + i)
  local i name d
  for i in $(seq 1 "$run_vms"); do
    name=$(vm_name "$i"); d="$work/vms/$name"
    [ -f "$d/done" ] && continue
    rm -rf "$d"; mkdir -p "$d"
    python3 "$root/bench/make-fixture.py" "$d/disk.raw" --size-mib "$disk_mib" --seed $((4242 + i)) >/dev/null
    qemu-img convert -f raw -O vmdk -o subformat=monolithicSparse "$d/disk.raw" "$d/$name.vmdk"
    rm -f "$d/disk.raw"
    cat > "$d/$name.vmx" <<VMX
.encoding = "UTF-8"
config.version = "8"
virtualHW.version = "19"
displayName = "$name"
guestOS = "debian12-64"
memsize = "512"
numvcpus = "1"
scsi0.present = "TRUE"
scsi0.virtualDev = "pvscsi"
scsi0:0.present = "TRUE"
scsi0:0.fileName = "$name.vmdk"
ethernet0.present = "TRUE"
ethernet0.virtualDev = "vmxnet3"
ethernet0.networkName = "VM Network"
VMX
    touch "$d/done"
  done
  log "$run_vms VM folders in $work/vms ($(du -sh "$work/vms" | cut -f1))"
}

source_of() {  # a folder holding only the first N VMs (hard links: no copy)
  local n=$1 i src="$work/src-$1"
  if [ ! -f "$src/done" ]; then
    rm -rf "$src"; mkdir -p "$src"
    for i in $(seq 1 "$n"); do cp -al "$work/vms/$(vm_name "$i")" "$src/"; done
    find "$src" -name done -delete
    touch "$src/done"
  fi
  echo "$src"
}

row() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >> "$work/run.tsv"; }

check_outputs() {  # N DIR: every VM has a qcow2 that qemu-img accepts; 3 of them compared with their source
  local n=$1 dir=$2 disks i name out
  disks=$(find "$dir" -name '*.qcow2' | wc -l)
  [ "$disks" = "$n" ] || log "WARNING: $disks qcow2 outputs in $dir, expected $n"
  for i in 1 $(( (n + 1) / 2 )) "$n"; do
    name=$(vm_name "$i")
    out=$(find "$dir" -name "$name*.qcow2" | head -1)
    [ -n "$out" ] || { log "WARNING: no output for $name in $dir"; continue; }
    qemu-img check -q "$out" || log "WARNING: qemu-img check failed on $out"
    qemu-img compare -q "$work/vms/$name/$name.vmdk" "$out" || log "WARNING: $out differs from its source"
  done
  echo "$disks"
}

batch_run() {  # N: plan the folder of N VMs, then one timed `v2v run --parallel`
  local n=$1 src plan out rc=0 ok
  src=$(source_of "$n")
  plan="$work/plan-run-$n/plan.yaml"; out="$work/out-$n"
  rm -rf "$work/plan-run-$n" "$out"; mkdir -p "$work/plan-run-$n" "$out"
  "${v2v[@]}" plan "$src" -o local -os "$out" -of qcow2 --no-guest-fixups >"$plan" 2>"$work/plan-run-$n.err" \
    || log "plan of $n VMs exited $? ($(tail -1 "$work/plan-run-$n.err"))"
  log "plan of $n VMs: $(count_plan "$plan") in the plan"
  settle
  /usr/bin/time -f "$time_format" -o "$work/run-time.txt" "${v2v[@]}" run "$plan" --parallel "$parallel" --per-host "$parallel" \
    >"$work/run-$n.out" 2>"$work/run-$n.err" || rc=$?
  read -r wall user sys rss < <(tail -1 "$work/run-time.txt")
  ok=$(check_outputs "$n" "$out")
  log "run of $n VMs, --parallel $parallel: ${wall} s wall, ${user}+${sys} s CPU, $((rss / 1024)) MiB peak RSS, exit $rc, $ok outputs"
  row "run" "$n" "$parallel" "$wall" "$user" "$sys" "$rss" "$rc" "$ok"
  rm -rf "$out"
}

sequential() {  # N: one `v2v convert` per VM, one after the other
  local n=$1 i name out="$work/seq-$1" s e rc=0 cpu_u=0 cpu_s=0 maxrss=0 ok
  rm -rf "$out"; mkdir -p "$out"
  settle
  s=$(date +%s.%N)
  for i in $(seq 1 "$n"); do
    name=$(vm_name "$i")
    /usr/bin/time -f "$time_format" -o "$work/seq-time.txt" "${v2v[@]}" convert "$work/vms/$name/$name.vmx" \
      -o local -os "$out" -of qcow2 --no-guest-fixups >/dev/null 2>"$work/seq.err" || { rc=$?; log "convert $name failed: $(tail -1 "$work/seq.err")"; }
    read -r _ user sys rss < <(tail -1 "$work/seq-time.txt")
    cpu_u=$(python3 -c "print(f'{$cpu_u + $user:.2f}')"); cpu_s=$(python3 -c "print(f'{$cpu_s + $sys:.2f}')")
    [ "$rss" -gt "$maxrss" ] && maxrss=$rss
  done
  e=$(date +%s.%N)
  ok=$(check_outputs "$n" "$out")
  local wall; wall=$(python3 -c "print(f'{$e - $s:.2f}')")
  log "$n sequential converts: ${wall} s wall, ${cpu_u}+${cpu_s} s CPU, $((maxrss / 1024)) MiB peak RSS of one, $ok outputs"
  row "sequential" "$n" 1 "$wall" "$cpu_u" "$cpu_s" "$maxrss" "$rc" "$ok"
  rm -rf "$out"
}

bench_run() {
  build_vms
  [ "$fixture_only" = 1 ] && return 0
  "${v2v[@]}" plan --help >/dev/null 2>&1 || { log "this build has no 'plan' command yet (merge main)"; exit 1; }
  printf 'how\tvms\tparallel\twall_s\tuser_s\tsys_s\tmaxrss_kb\texit\toutputs\n' > "$work/run.tsv"
  batch_run "$small_vms"
  batch_run "$run_vms"
  [ "$seq_too" = 1 ] && sequential "$run_vms"
  return 0
}

summary() {
  python3 - "$work" <<'EOF'
import csv, os, statistics, sys
work = sys.argv[1]
p = os.path.join(work, "plan.tsv")
if os.path.exists(p):
    rows = list(csv.DictReader(open(p), delimiter="\t"))
    if rows:
        walls = [float(r["wall_s"]) for r in rows]
        print(f"plan of {rows[0]['vms']} simulator VMs: wall median {statistics.median(walls):.2f} s "
              f"(runs: {', '.join(r['wall_s'] for r in rows)}), CPU median "
              f"{statistics.median(float(r['user_s']) + float(r['sys_s']) for r in rows):.2f} s, "
              f"peak RSS {max(int(r['maxrss_kb']) for r in rows) // 1024} MiB, VMs in the plan: {rows[-1]['planned']}")
        print()
p = os.path.join(work, "run.tsv")
if os.path.exists(p):
    rows = list(csv.DictReader(open(p), delimiter="\t"))
    if rows:
        print("| how | VMs | parallel | wall s | CPU s (user+sys) | peak RSS MiB | exit | outputs |")
        print("|---|---|---|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['how']} | {r['vms']} | {r['parallel']} | {float(r['wall_s']):.1f} | "
                  f"{float(r['user_s']) + float(r['sys_s']):.1f} ({float(r['user_s']):.1f}+{float(r['sys_s']):.1f}) | "
                  f"{int(r['maxrss_kb']) // 1024}{' (one convert)' if r['how'] == 'sequential' else ''} | {r['exit']} | {r['outputs']} |")
EOF
}

case "$what" in
  plan) bench_plan ;;
  run) bench_run ;;
  all) bench_plan; bench_run ;;
  *) echo "usage: $0 [plan|run|all]" >&2; exit 2 ;;
esac
summary
