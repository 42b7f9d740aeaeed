#!/usr/bin/env bash
# Scale benchmark for `v2v inventory`: starts the vSphere simulator (tests/vcsim) with 1000 VMs on
# 127.0.0.1 over TLS, then times `./v2v inventory` against it (ESX model: 1000 VMs on one host;
# VPX model: 500 VMs per resource pool x 2 = 1000 VMs in a datacenter). Target: <= 10 s.
# Usage: bench/inventory/run.sh [VMS]   (default 1000). Results: bench/out/inventory-*.txt
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
vms="${1:-1000}"
out="$root/bench/out"
mkdir -p "$out"
"$root/tests/vcsim/build.sh"
"$root/v2v" --version >/dev/null   # build the CLI first, outside the timing

run_model() {
  local model="$1" per="$2" path="$3"
  local banner="$out/vcsim-$model.json" fifo
  fifo="$(mktemp -u)"; mkfifo "$fifo"
  # vcsim exits when its stdin closes: hold the fifo open from this shell.
  "$root/.cache/vcsim/vcsim-v2v" -model "$model" -vm "$per" -user bench -pass bench-pw <"$fifo" >"$banner" 2>"$out/vcsim-$model.log" &
  local pid=$!
  exec 9>"$fifo"
  local t0=$SECONDS
  # The banner is one JSON line: wait until it is complete.
  until [ -s "$banner" ] && [ "$(tail -c 1 "$banner" | od -An -c | tr -d ' ')" = '\n' ]; do
    kill -0 "$pid" 2>/dev/null || { echo "vcsim died: $(tail -5 "$out/vcsim-$model.log")" >&2; exit 1; }
    sleep 0.5
  done
  local host sha
  host=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["host"])' "$banner")
  sha=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sha256"])' "$banner")
  local count
  count=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["vms"]))' "$banner")
  echo "$model: simulator with $count VMs ready in $((SECONDS - t0)) s at $host"
  local uri="$model://bench@$host/$path"
  [ "$model" = esx ] && uri="esx://bench@$host/"
  local result="$out/inventory-$model.txt"
  for run in 1 2 3; do
    /usr/bin/time -f "%e s wall, %U s user + %S s sys CPU, %M KiB peak RSS" -o "$out/time-$model-$run.txt" \
      env V2V_PASSWORD=bench-pw "$root/v2v" inventory "$uri" --thumbprint "$sha" >"$result"
    listed=$(($(wc -l <"$result") - 2))
    echo "$model run $run: $(cat "$out/time-$model-$run.txt"), $listed VMs listed"
    [ "$listed" -eq "$count" ] || { echo "expected $count VMs" >&2; exit 1; }
  done
  exec 9>&-
  wait "$pid" || true
  rm -f "$fifo"
}

run_model esx "$vms" ""
run_model vpx "$((vms / 2))" "DC0"
