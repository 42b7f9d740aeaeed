#!/usr/bin/env bash
# samples/linux-guest/build.sh OUTDIR
#
# Builds the sample VM's disk, OUTDIR/linux-demo.vmdk: a small Debian 12 guest as VMware left it,
# so that `v2v convert` has real work to do:
#   * MBR disk, 2 GiB virtual: sda1 ext4 "/", sda2 ext4 "/data"; /etc/fstab and the kernel line
#     of grub.cfg say /dev/sda1 and /dev/sda2 (an LSI Logic SCSI disk on VMware);
#   * GRUB (i386-pc, BIOS) in the MBR, kernel line "root=/dev/sda1 console=ttyS0";
#   * initramfs-tools with MODULES=list and VMware storage drivers only: no virtio in the initramfs;
#   * open-vm-tools installed; ifupdown configures ens160 (vmxnet3 in PCI slot 160).
# Also writes OUTDIR/build-info.txt (kernel, fstab, grub lines, initramfs modules, packages).
#
# Needs root (debootstrap, chroot), the Debian archive, and the host tools debootstrap, mke2fs,
# sfdisk, guestfish (libguestfs-tools: GRUB is installed through the libguestfs appliance, so no
# loop device or nbd is needed) and qemu-img (qemu-utils). samples/demo.sh installs them.
# Smaller and faster than the test fixture (tests/deps/setup.d/guest-fixture.sh): no boot probe,
# and the kernel's sound, media, wireless, GPU and other irrelevant modules are never unpacked
# (dpkg path-exclude), so the kernel's initramfs is built once. DEBIAN_MIRROR=URL overrides the
# archive (default: the host's own apt source).
set -euo pipefail

log() { printf 'build: [%3d s] %s\n' "$SECONDS" "$*" >&2; }
die() { log "error: $*"; exit 1; }

[[ $# -eq 1 ]] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || die "must run as root (debootstrap and chroot need it); samples/demo.sh runs it with sudo"
for c in debootstrap mke2fs sfdisk guestfish qemu-img; do
    command -v "$c" >/dev/null || die "$c is missing: apt-get install debootstrap e2fsprogs fdisk libguestfs-tools qemu-utils"
done

OUTDIR=$(mkdir -p "$1" && cd "$1" && pwd)
WORK=$(mktemp -d "$OUTDIR/.work.XXXXXX")
ROOTFS=$WORK/rootfs
RAW=$WORK/disk.raw
START=$SECONDS
host_mirror() { # the first Debian archive the host's apt uses
    { sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/*.sources 2>/dev/null || true
      sed -n 's/^deb \(\[[^]]*\] \)\?\(http[^ ]*\) .*/\2/p' /etc/apt/sources.list 2>/dev/null || true; } |
        { grep -v -e security -e nodesource -e google || true; } | head -n 1 | awk '{print $1}'
}
MIRROR=${DEBIAN_MIRROR:-$(host_mirror)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
DISK_MB=2048 ROOT_MB=1900 DATA_MB=144
ROOT_UUID=5a1e0001-0f10-4d65-9bd6-0000000000d1
DATA_UUID=5a1e0002-0f10-4d65-9bd6-0000000000d2
MBR_ID=0x5643d3e0
VMWARE_MODULES=(mptspi mptsas vmw_pvscsi ahci sd_mod ata_piix ext4)
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 LANG=C.UTF-8
export LIBGUESTFS_BACKEND=${LIBGUESTFS_BACKEND:-direct}

in_chroot() { chroot "$ROOTFS" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
                  DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 HOME=/root "$@"; }
umount_chroot() {
    local m
    for m in dev/pts dev sys proc; do
        if mountpoint -q "$ROOTFS/$m" 2>/dev/null; then umount "$ROOTFS/$m" || umount -l "$ROOTFS/$m"; fi
    done
}
cleanup() {
    local rc=$?
    umount_chroot || true
    if ((rc)); then log "failed; logs in $WORK"; else rm -rf "$WORK"; fi
    exit $rc
}
trap cleanup EXIT
run_logged() { # run_logged NAME COMMAND...: output to $WORK/NAME.log, its tail on failure
    "${@:2}" >"$WORK/$1.log" 2>&1 || { tail -n 25 "$WORK/$1.log" >&2; die "$1 failed (log: $WORK/$1.log)"; }
}

# 1. Debian minbase. dpkg inside the chroot skips fsync (a throwaway build) and never unpacks docs,
#    man pages, locales or the kernel modules a small VM does not use.
mkdir -p "$ROOTFS/etc/dpkg/dpkg.cfg.d" "$ROOTFS/etc/apt/apt.conf.d"
echo force-unsafe-io >"$ROOTFS/etc/dpkg/dpkg.cfg.d/v2v-sample-unsafe-io"
{
    echo "# V2VConverter sample guest: no documentation, and no kernel modules for sound, media, wireless, GPUs..."
    for p in /usr/share/doc /usr/share/man /usr/share/info /usr/share/locale /usr/share/lintian; do echo "path-exclude=$p/*"; done
    echo "path-include=/usr/share/doc/*/copyright"
    for m in /lib/modules /usr/lib/modules; do
        for d in sound drivers/media drivers/gpu drivers/net/wireless drivers/infiniband drivers/iio drivers/staging \
                 drivers/isdn drivers/comedi drivers/mtd drivers/target drivers/hwmon drivers/bluetooth drivers/net/can \
                 drivers/net/wwan 'drivers/scsi/*' net/wireless net/mac80211 net/bluetooth net/netfilter \
                 fs/xfs fs/btrfs fs/ocfs2 fs/nfs fs/nfsd fs/smb fs/ceph fs/gfs2 fs/f2fs fs/ubifs fs/nilfs2 fs/jfs \
                 fs/reiserfs fs/ntfs3 fs/dlm fs/afs fs/orangefs; do
            echo "path-exclude=$m/*/kernel/$d/*"
        done
        echo "path-exclude=$m/*/kernel/drivers/net/ethernet/*"
        echo "path-include=$m/*/kernel/drivers/net/ethernet/intel/*"
    done
} >"$ROOTFS/etc/dpkg/dpkg.cfg.d/v2v-sample-excludes"
printf 'Acquire::Languages "none";\nAPT::Install-Recommends "0";\n' >"$ROOTFS/etc/apt/apt.conf.d/90v2v-sample"
log "debootstrap $SUITE (minbase) from $MIRROR"
run_logged debootstrap debootstrap --variant=minbase --include=initramfs-tools,kmod,udev,e2fsprogs "$SUITE" "$ROOTFS" "$MIRROR"

# 2. The VMware-era configuration, written before the kernel so that its one initramfs build uses it.
sed -i 's/^MODULES=.*/MODULES=list/' "$ROOTFS/etc/initramfs-tools/initramfs.conf"
{ echo "# VMware guest: LSI Logic (SPI/SAS), PVSCSI, AHCI, PIIX IDE."; printf '%s\n' "${VMWARE_MODULES[@]}"; } \
    >"$ROOTFS/etc/initramfs-tools/modules"
cat >"$ROOTFS/etc/fstab" <<'EOF'
# /etc/fstab: static file system information.
# <file system> <mount point>   <type>  <options>          <dump>  <pass>
/dev/sda1       /               ext4    errors=remount-ro  0       1
/dev/sda2       /data           ext4    defaults           0       2
EOF
mkdir -p "$ROOTFS/data" "$ROOTFS/etc/network"
echo linux-demo >"$ROOTFS/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tlinux-demo\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$ROOTFS/etc/hosts"
cat >"$ROOTFS/etc/network/interfaces" <<'EOF'
source /etc/network/interfaces.d/*

auto lo
iface lo inet loopback

# VMware vmxnet3 in PCI slot 160
allow-hotplug ens160
iface ens160 inet static
	address 192.168.122.50/24
	gateway 192.168.122.1
EOF

mount -t proc proc "$ROOTFS/proc"
mount -t sysfs sysfs "$ROOTFS/sys"
mount --bind /dev "$ROOTFS/dev"
mount --bind /dev/pts "$ROOTFS/dev/pts"
cp -L /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
printf '#!/bin/sh\nexit 101\n' >"$ROOTFS/usr/sbin/policy-rc.d" && chmod 755 "$ROOTFS/usr/sbin/policy-rc.d"
echo "deb $MIRROR $SUITE main" >"$ROOTFS/etc/apt/sources.list"
printf 'grub-pc grub-pc/install_devices multiselect\ngrub-pc grub-pc/install_devices_empty boolean true\n' |
    in_chroot debconf-set-selections
PKGS=(systemd-sysv ifupdown iproute2 grub-pc linux-image-amd64 open-vm-tools)
log "apt-get install ${PKGS[*]}"
run_logged apt in_chroot sh -c "apt-get update -q && apt-get install -y -q ${PKGS[*]}"

kver=$(cd "$ROOTFS/usr/lib/modules" && ls -1 | sort -V | tail -n 1)
[[ -n "$kver" && -f "$ROOTFS/boot/initrd.img-$kver" ]] || die "no kernel or initramfs was installed"
initrd=$(in_chroot lsinitramfs "/boot/initrd.img-$kver" | grep -E '\.ko(\.[a-z]+)?$' | sed 's|.*/||; s|\.ko.*||' | sort)
grep -qx virtio_blk <<<"$initrd" && die "the initramfs unexpectedly has virtio_blk"
grep -qx mptspi <<<"$initrd" || die "the initramfs lacks mptspi"

# GRUB defaults: serial console, short menu; /etc/default/grub is otherwise Debian's.
sed -i -e 's/^GRUB_TIMEOUT=.*/GRUB_TIMEOUT=1/' \
       -e 's|^GRUB_CMDLINE_LINUX=.*|GRUB_CMDLINE_LINUX="console=tty0 console=ttyS0,115200n8"|' "$ROOTFS/etc/default/grub"
printf 'GRUB_TERMINAL="console serial"\nGRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"\n' >>"$ROOTFS/etc/default/grub"
in_chroot apt-get clean
in_chroot dpkg-query -W -f '${Package} ${Version}\n' >"$WORK/packages.txt"
umount_chroot
rm -f "$ROOTFS/usr/sbin/policy-rc.d" "$ROOTFS/etc/dpkg/dpkg.cfg.d/v2v-sample-unsafe-io"
rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/*.bin "$ROOTFS"/var/log/apt/* "$ROOTFS"/var/log/*.log
# debootstrap unpacked its first packages before dpkg read the excludes: drop those docs and locales too.
find "$ROOTFS/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
rm -rf "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/* "$ROOTFS"/usr/share/locale/*/
printf 'nameserver 192.168.122.1\n' >"$ROOTFS/etc/resolv.conf"
: >"$ROOTFS/etc/machine-id"

# 3. The disk: file systems made from the directories (mke2fs -d), an MBR put together with
#    sfdisk and dd, then GRUB installed and grub.cfg generated inside the libguestfs appliance
#    (grub-mkconfig there writes root=/dev/sda1, as on VMware, with GRUB_DISABLE_LINUX_UUID).
log "disk: mke2fs -d, sfdisk (MBR: sda1 /, sda2 /data)"
mkdir -p "$WORK/data"
echo "The sample guest's /data file system (/dev/sda2 on VMware)." >"$WORK/data/README"
truncate -s "${ROOT_MB}M" "$WORK/root.img"
truncate -s "${DATA_MB}M" "$WORK/data.img"
mke2fs -q -F -t ext4 -L rootfs -U "$ROOT_UUID" -E hash_seed="$ROOT_UUID" -d "$ROOTFS" "$WORK/root.img"
mke2fs -q -F -t ext4 -L data -U "$DATA_UUID" -E hash_seed="$DATA_UUID" -d "$WORK/data" "$WORK/data.img"
truncate -s "${DISK_MB}M" "$RAW"
sfdisk -q --no-reread --no-tell-kernel "$RAW" <<EOF
label: dos
label-id: $MBR_ID
unit: sectors

start=2048, size=$((ROOT_MB * 2048)), type=83, bootable
start=$((2048 + ROOT_MB * 2048)), size=$((DATA_MB * 2048)), type=83
EOF
dd if="$WORK/root.img" of="$RAW" bs=1M seek=1 conv=notrunc,sparse status=none
dd if="$WORK/data.img" of="$RAW" bs=1M seek=$((1 + ROOT_MB)) conv=notrunc,sparse status=none
rm -f "$WORK/root.img" "$WORK/data.img"
log "disk: grub-install and grub-mkconfig in the libguestfs appliance"
# The appliance kernel may name the guest disk sdb (its own disk probed first): the script finds the
# disk under /, and sets the kernel line back to what VMware's guest saw, root=/dev/sda1.
cat >"$WORK/grub-setup.sh" <<'EOF'
set -e
root=$(findmnt -n -o SOURCE /)
disk=/dev/$(basename "$(readlink -f "/sys/class/block/${root#/dev/}/..")")
grub-install --target=i386-pc "$disk" >/tmp/v2v-out 2>&1 || { cat /tmp/v2v-out >&2; exit 1; }
GRUB_DISABLE_LINUX_UUID=true grub-mkconfig -o /boot/grub/grub.cfg >/tmp/v2v-out 2>&1 || { cat /tmp/v2v-out >&2; exit 1; }
sed -i "s|root=$root |root=/dev/sda1 |" /boot/grub/grub.cfg
echo 'grub-pc grub-pc/install_devices multiselect /dev/sda' | debconf-set-selections
rm -f /tmp/v2v-out /tmp/v2v-grub-setup.sh
EOF
cd "$WORK"
run_logged guestfish guestfish --rw --format=raw -a "$RAW" <<'EOF'
run
mount /dev/sda1 /
mount /dev/sda2 /data
upload grub-setup.sh /tmp/v2v-grub-setup.sh
sh "sh /tmp/v2v-grub-setup.sh"
download /boot/grub/grub.cfg grub.cfg
umount-all
EOF
cfg=$(cat "$WORK/grub.cfg")
grep -Eq "^[[:space:]]*linux[[:space:]]+/boot/vmlinuz-$kver .*root=/dev/sda1 " <<<"$cfg" ||
    die "grub.cfg has no 'linux ... root=/dev/sda1' line"

log "disk: qemu-img convert to a monolithicSparse VMDK (adapter lsilogic)"
rm -f "$OUTDIR/linux-demo.vmdk"
qemu-img convert -f raw -O vmdk -o subformat=monolithicSparse,adapter_type=lsilogic "$RAW" "$OUTDIR/linux-demo.vmdk"
{
    echo "built by samples/linux-guest/build.sh in $((SECONDS - START)) s from $MIRROR"
    echo "guest kernel: $kver"
    echo; echo "== /etc/fstab"; grep -v '^#' "$ROOTFS/etc/fstab"
    echo; echo "== grub.cfg kernel lines"; grep -E '^[[:space:]]*linux' <<<"$cfg"
    echo; echo "== modules in /boot/initrd.img-$kver"; paste -sd' ' <<<"$initrd"
    echo; echo "== packages"; cat "$WORK/packages.txt"
} >"$OUTDIR/build-info.txt"
log "done in $((SECONDS - START)) s: $OUTDIR/linux-demo.vmdk ($(du -m "$OUTDIR/linux-demo.vmdk" | cut -f1) MiB)"
