#!/usr/bin/env bash
# -o libvirt against "-o local, then virsh vol-create-as + vol-upload" (virt-v2v's documented workaround), on the
# same VM and the same test libvirtd (tests/deps/setup.d/libvirtd.sh), locally (qemu:///system) and over ssh
# (qemu+ssh to the daemon's own sshd, inside its network namespace). Both sides copy only (--no-guest-fixups), so the
# figures are the data path: ours streams into the volume; the workaround writes a local file, then uploads it.
# Environment: BENCH_DIR (default /var/tmp/v2v-bench), PAIRS (3), FORMATS ("qcow2 raw"), TRANSPORTS ("local ssh").
# Prints one TSV line per run and the medians; run as root.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="${BENCH_DIR:-/var/tmp/v2v-bench}/libvirt"
pairs="${PAIRS:-3}"
mkdir -p "$work"

bash "$root/tests/deps/setup.d/libvirtd.sh" >&2
# shellcheck disable=SC1091
. <(sed 's/^\([A-Z_]*\)=\(.*\)$/\1='"'"'\2'"'"'/' "${V2V_LIBVIRT_DIR:-/var/tmp/v2v-libvirt-test}/env")

# The fixture: the disk benchmark's mixed content on a 2 GiB disk (about 880 MiB of data), as a monolithicSparse VMDK.
if [ ! -f "$work/vm/disk.vmdk" ]; then
  mkdir -p "$work/vm"
  python3 "$root/bench/make-fixture.py" "$work/disk.raw" --size-gib 2 --data-gib 2 >&2
  qemu-img convert -f raw -O vmdk "$work/disk.raw" "$work/vm/disk.vmdk"
  rm -f "$work/disk.raw"
fi
cat > "$work/vm/vm.vmx" <<VMX
config.version = "8"
virtualHW.version = "19"
displayName = "v2vbench"
guestOS = "debian12-64"
memsize = "512"
scsi0.present = "TRUE"
scsi0.virtualDev = "lsilogic"
scsi0:0.present = "TRUE"
scsi0:0.fileName = "disk.vmdk"
ethernet0.present = "TRUE"
ethernet0.virtualDev = "vmxnet3"
ethernet0.connectionType = "nat"
VMX

# Build the CLI once (Release) and call the dll directly so build checks are not timed.
"$root/v2v" --version >/dev/null
ns=(ip netns exec "$NAMESPACE")
v2v=(dotnet "$root/.cache/cli/v2v.dll")
capacity=$(qemu-img info --output=json "$work/vm/disk.vmdk" | python3 -c 'import json,sys; print(json.load(sys.stdin)["virtual-size"])')

clean() { # uri format
  "${ns[@]}" virsh -q -c "$1" undefine v2vbench >/dev/null 2>&1 || true
  "${ns[@]}" virsh -q -c "$1" vol-delete --pool "$DIR_POOL" "v2vbench-sda.$2" >/dev/null 2>&1 || true
  rm -rf "$work/local"
}

ours() { # uri format
  "${ns[@]}" "${v2v[@]}" convert "$work/vm/vm.vmx" -o libvirt -oc "$1" -os "$DIR_POOL" -of "$2" --no-guest-fixups \
    --network "$NETWORK" --set devices:domain:rules:default:type=qemu >/dev/null 2>"$work/ours.err"
}

workaround() { # uri format: -o local, then the volume and its upload by virsh
  local sparse=()
  [ "$2" = raw ] && sparse=(--sparse)
  "${v2v[@]}" convert "$work/vm/vm.vmx" -o local -os "$work/local" -of "$2" --no-guest-fixups >/dev/null 2>"$work/local.err"
  "${ns[@]}" virsh -q -c "$1" vol-create-as "$DIR_POOL" "v2vbench-sda.$2" "$capacity" --format "$2" >/dev/null
  "${ns[@]}" virsh -q -c "$1" vol-upload --pool "$DIR_POOL" "${sparse[@]}" "v2vbench-sda.$2" "$work/local/v2vbench-sda.$2"
}

secs() { python3 -c 'import sys,time; print(f"{time.time()-float(sys.argv[1]):.2f}")' "$1"; }

out="$work/results.tsv"
printf 'transport\tformat\tpair\tcase\tseconds\n' > "$out"
for transport in ${TRANSPORTS:-local ssh}; do
  uri="$LOCAL_URI"; [ "$transport" = ssh ] && uri="$SSH_URI"
  for format in ${FORMATS:-qcow2 raw}; do
    clean "$uri" "$format"
    for pair in $(seq 0 "$pairs"); do # pair 0 is the warm-up
      for case in ours workaround; do
        t0=$(date +%s.%N)
        "$case" "$uri" "$format"
        s=$(secs "$t0")
        if [ "$case" = ours ] && [ "$pair" = 0 ]; then
          # The volume, read back through libvirt, must be the source disk.
          "${ns[@]}" virsh -q -c "$LOCAL_URI" vol-download --pool "$DIR_POOL" "v2vbench-sda.$format" "$work/check.$format"
          qemu-img compare -q -f vmdk -F "$format" "$work/vm/disk.vmdk" "$work/check.$format"
          rm -f "$work/check.$format"
        fi
        clean "$uri" "$format"
        printf '%s\t%s\t%s\t%s\t%s\n' "$transport" "$format" "$pair" "$case" "$s" | tee -a "$out"
      done
    done
  done
done

python3 - "$out" <<'PY'
import csv, statistics, sys
rows = [r for r in csv.DictReader(open(sys.argv[1]), delimiter="\t") if r["pair"] != "0"]
print("transport\tformat\tours_median_s\tworkaround_median_s\tratio")
for key in sorted({(r["transport"], r["format"]) for r in rows}):
    o = statistics.median(float(r["seconds"]) for r in rows if (r["transport"], r["format"]) == key and r["case"] == "ours")
    w = statistics.median(float(r["seconds"]) for r in rows if (r["transport"], r["format"]) == key and r["case"] == "workaround")
    print(f"{key[0]}\t{key[1]}\t{o:.2f}\t{w:.2f}\t{o / w:.2f}")
PY
