#!/usr/bin/env bash
# samples/demo.sh [OUTDIR]
#
# The quick start: converts a sample VMware VM with a real Debian 12 guest inside
# (samples/linux-guest/: fstab and grub on /dev/sda, no virtio in the initramfs, open-vm-tools,
# ens160) to KVM, and shows what was changed in the guest.
#   1. installs the Debian packages it needs when they are missing (apt-get, with sudo when not root);
#   2. builds the guest disk once (samples/linux-guest/build.sh, as root) into
#      ${XDG_CACHE_HOME:-~/.cache}/v2v/samples/linux-guest-<hash of build.sh>/; later runs reuse it;
#   3. runs ./v2v convert on samples/linux-guest/linux-demo.vmx beside that disk, into OUTDIR
#      (default: a fresh directory under ${TMPDIR:-/tmp}).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
say() { printf 'demo: %s\n' "$*" >&2; }
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { say "error: apt-get and the guest build need root: run this as root, or install sudo"; exit 1; }
    sudo_cmd=(sudo)
fi
start=$SECONDS

# Build the CLI in the background while the packages and the guest are prepared (./v2v builds when its sources changed).
"$root/v2v" --help >/dev/null 2>&1 &
cli_build=$!

# 1. Host packages: libguestfs converts the guest; debootstrap, mke2fs, sfdisk and qemu-img build the sample;
#    libguestfs boots its appliance with the host's kernel from /boot.
pkgs=(libguestfs-tools qemu-utils debootstrap e2fsprogs fdisk)
compgen -G '/boot/vmlinuz-*' >/dev/null || pkgs+=(linux-image-amd64)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    say "installing the Debian packages the demo needs: ${missing[*]} (apt-get${sudo_cmd:+ with sudo})"
    "${sudo_cmd[@]}" apt-get update -qq
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        -o DPkg::Lock::Timeout=600 "${missing[@]}" >/dev/null
fi

# 2. The sample guest, built once per version of its builder.
builder=$root/samples/linux-guest/build.sh
cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/v2v/samples
vm=$cache_root/linux-guest-$(sha256sum "$builder" | cut -c1-16)
mkdir -p "$cache_root"
exec 9>"$cache_root/.lock"
flock 9
if [[ ! -f "$vm/.complete" ]]; then
    say "building the sample guest once (Debian 12 from the Debian archive: minbase, kernel, GRUB, open-vm-tools); this first build takes 5 to 8 minutes (measured on 2 shared cores without KVM), later runs reuse $vm"
    for old in "$cache_root"/linux-guest-*; do [[ -d $old ]] && rm -rf "$old"; done
    mkdir -p "$vm"
    t=$SECONDS
    "${sudo_cmd[@]}" "$builder" "$vm"
    ((${#sudo_cmd[@]} == 0)) || "${sudo_cmd[@]}" chown -R "$(id -u):$(id -g)" "$vm"
    touch "$vm/.complete"
    say "sample guest built in $((SECONDS - t)) s"
else
    say "sample guest: $vm (cached)"
fi
cp "$root/samples/linux-guest/linux-demo.vmx" "$vm/linux-demo.vmx"
flock -u 9

# 3. The conversion.
out=${1:-$(mktemp -d "${TMPDIR:-/tmp}/v2v-demo.XXXXXX")}
wait "$cli_build" || true # a failed build is built and reported again by ./v2v below
say "./v2v convert $vm/linux-demo.vmx -o local -os $out"
t=$SECONDS
"$root/v2v" convert "$vm/linux-demo.vmx" -o local -os "$out"
say "converted in $((SECONDS - t)) s (whole demo $((SECONDS - start)) s). In $out:"
say "  linux-demo-sda.qcow2     the converted disk (virtio names in fstab and grub, virtio drivers in the initramfs, open-vm-tools removed)"
say "  linux-demo.xml           the libvirt KVM domain: virsh define $out/linux-demo.xml"
say "  linux-demo.report.json   every device before and after, and every fixup with its before/after lines"
