#!/usr/bin/env bash
# make-uefi-guest.sh OUTDIR
#
# Builds the UEFI variant of the Debian 12 fixture guest from the rootfs that
# ../shared/fixtures/make-linux-guest.sh left behind (it must have run first;
# tests/deps/setup.d/guest-fixture.sh does that).  The result looks like a
# Debian 12 installed by VMware on UEFI firmware:
#
#   * GPT disk, 2 GiB virtual (fixed disk GUID DISK_GUID below):
#       sda1  ESP, FAT, 64 MiB from sector 2048, type C12A7328-F81F-11D2-BA4B-00A0C93EC93B,
#             partition GUID 5a1e0003-0f10-4d65-9bd6-000000000003
#       sda2  ext4 "/"     (fs UUID 5a1e0001-..., as the plain build)
#       sda3  ext4 "/data" (fs UUID 5a1e0002-..., with V2V-DATA-MARKER)
#   * /etc/fstab with LSI-disk names: /dev/sda2 /, /dev/sda3 /data, /dev/sda1 /boot/efi.
#   * shim-signed + grub-efi-amd64-signed, installed with --no-nvram into
#     EFI/debian/ only: NO EFI/BOOT/BOOTX64.EFI fallback (on VMware the boot
#     entry lives in the VM's NVRAM, which a fresh OVMF variable store lacks).
#   * grub.cfg: root=/dev/sda2 console=ttyS0, the boot probe as init.
#   * The plain build's kernel and initramfs, unchanged: no virtio drivers.
#
# Outputs in OUTDIR: guest.vmdk (monolithicSparse, lsilogic), guest.vmx (the
# plain variant's with firmware = "efi"; nvram = "guest.nvram" is named but not
# made here), guest.raw.sha256, build-info.txt.
#
# Environment:
#   PLAIN_ROOTFS   the plain build's rootfs (default $FIXTURE_WORK/rootfs); only read
#   PLAIN_DIR      the plain variant's OUTDIR, for its guest.vmx (required)
#   UEFI_WORK      scratch dir (default: OUTDIR/../uefi-build)
#   DEBIAN_MIRROR  Debian archive for apt in the chroot (default: the host's own apt source)
#   KEEP_WORK=1    keep the scratch rootfs and raw disk in UEFI_WORK (default: removed)
# Needs root, dosfstools, fdisk, qemu-utils, libguestfs-tools; uses no loop devices.
set -euo pipefail

PROG=make-uefi-guest
log()  { printf '[%s %(%H:%M:%S)T] %s\n' "$PROG" -1 "$*" >&2; }
die()  { log "ERROR: $*"; exit 1; }

[[ $# -eq 1 && $1 != -* ]] || { sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || die "must run as root (chroot needs it)"
if [[ -z "${FIXTURE_NICED:-}" ]]; then
    export FIXTURE_NICED=1
    exec nice -n 10 bash "$0" "$@"
fi

START_TS=$(date +%s)
OUTDIR=$(mkdir -p "$1" && cd "$1" && pwd)
PLAIN_ROOTFS=${PLAIN_ROOTFS:-${FIXTURE_WORK:-/tmp/fixture-work/build}/rootfs}
PLAIN_DIR=${PLAIN_DIR:?set PLAIN_DIR to the output directory of the plain variant}
WORK=${UEFI_WORK:-$(dirname "$OUTDIR")/uefi-build}
[[ -d "$PLAIN_ROOTFS/usr/lib/modules" ]] || die "no plain rootfs in $PLAIN_ROOTFS (run make-linux-guest.sh first)"
[[ -f "$PLAIN_DIR/guest.vmx" ]] || die "no $PLAIN_DIR/guest.vmx (build the plain variant first)"
for c in mkfs.vfat sfdisk mke2fs guestfish qemu-img; do
    command -v "$c" >/dev/null || die "$c not found (tests/deps/apt-packages.txt)"
done

host_mirror() { # the first Debian archive URI the host's apt already uses (as make-linux-guest.sh)
    { sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/*.sources 2>/dev/null || true
      sed -n 's/^deb \(\[[^]]*\] \)\?\(http[^ ]*\) .*/\2/p' /etc/apt/sources.list 2>/dev/null || true; } |
        { grep -v -e security -e nodesource -e google || true; } | head -n 1 | awk '{print $1}'
}
MIRROR=${DEBIAN_MIRROR:-$(host_mirror)}
[[ -n "$MIRROR" ]] || die "no Debian archive found in the host's apt sources; set DEBIAN_MIRROR"

export LIBGUESTFS_BACKEND=${LIBGUESTFS_BACKEND:-direct}
export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 LANG=C.UTF-8

KEEP_WORK=${KEEP_WORK:-0}
ROOTFS=$WORK/rootfs
RAW=$WORK/guest.raw
# Geometry (MiB): 1 MiB gap, ESP, root, data; the GPT backup fits in what is left of 2 GiB.
DISK_MB=2048 ESP_MB=64 ROOT_MB=1836 DATA_MB=144
ESP_TYPE=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
LINUX_TYPE=0FC63DAF-8483-4772-8E79-3D69D8477DE4
DISK_GUID=5a1e0010-0f10-4d65-9bd6-000000000010
ESP_GUID=5a1e0003-0f10-4d65-9bd6-000000000003
ROOT_PART_GUID=5a1e0004-0f10-4d65-9bd6-000000000004
DATA_PART_GUID=5a1e0005-0f10-4d65-9bd6-000000000005
ROOT_UUID=5a1e0001-0f10-4d65-9bd6-000000000001   # the plain build's fs UUIDs
DATA_UUID=5a1e0002-0f10-4d65-9bd6-000000000002
ESP_VOLID=5A1E0003
EFI_PKGS=(shim-signed grub-efi-amd64-signed grub-efi-amd64 efibootmgr)  # efibootmgr: a Recommends the installer brings in
FORBIDDEN_IN_INITRD=(virtio_blk virtio_pci virtio_scsi)

# --- chroot helpers: the bind mounts are always undone by the EXIT trap -------
CHROOT_MOUNTED=0
chroot_mount() {
    mount -t proc proc "$ROOTFS/proc"
    mount -t sysfs sysfs "$ROOTFS/sys"
    mount --bind /dev "$ROOTFS/dev"
    mount --bind /dev/pts "$ROOTFS/dev/pts"
    CHROOT_MOUNTED=1
    printf '#!/bin/sh\nexit 101\n' >"$ROOTFS/usr/sbin/policy-rc.d"
    chmod 755 "$ROOTFS/usr/sbin/policy-rc.d"
}
chroot_umount() {
    local m
    rm -f "$ROOTFS/usr/sbin/policy-rc.d"
    for m in dev/pts dev sys proc; do
        if mountpoint -q "$ROOTFS/$m" 2>/dev/null; then
            umount "$ROOTFS/$m" || umount -l "$ROOTFS/$m"
        fi
    done
    CHROOT_MOUNTED=0
}
in_chroot() { chroot "$ROOTFS" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
                  DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 HOME=/root "$@"; }
cleanup() {
    local rc=$?
    [[ -d "$ROOTFS" ]] && chroot_umount || true
    ((rc)) && log "FAILED (exit $rc); scratch files left in $WORK"
    exit $rc
}
trap cleanup EXIT

# --- 1. a copy of the plain rootfs, with the EFI boot packages ---------------
make_rootfs() {
    log "copying the plain rootfs $PLAIN_ROOTFS"
    rm -rf "$WORK"; mkdir -p "$WORK"
    cp -a "$PLAIN_ROOTFS" "$ROOTFS"
    mountpoint -q "$ROOTFS/proc" && die "the copied rootfs has mounts"
    # The shared rootfs ends up as the last variant built left it: undo the pinned variant's
    # GRUB_DISABLE_LINUX_UUID in /etc/default/grub (grub.cfg gets /dev/sda2 from the environment).
    sed -i -e '/^# v2v-fixture: hard-coded root/d' -e '/^GRUB_DISABLE_LINUX_UUID=/d' "$ROOTFS/etc/default/grub"
    grep -q '^GRUB_CMDLINE_LINUX="console=ttyS0.*init=/usr/local/sbin/v2v-boot-probe' "$ROOTFS/etc/default/grub" ||
        die "the plain rootfs's /etc/default/grub lacks the serial console / probe init"
    cat >"$ROOTFS/etc/fstab" <<'EOF'
# /etc/fstab: static file system information.
# VMware guest (UEFI): one LSI Logic SCSI disk, seen by Linux as /dev/sda.
# <file system> <mount point>   <type>  <options>          <dump>  <pass>
/dev/sda2       /               ext4    errors=remount-ro  0       1
/dev/sda3       /data           ext4    defaults           0       2
/dev/sda1       /boot/efi       vfat    umask=0077         0       1
EOF
    mkdir -p "$ROOTFS/boot/efi" "$ROOTFS/data"

    local kver initrd sum_before
    kver=$(cd "$ROOTFS/usr/lib/modules" && ls -1 | sort -V | tail -n 1)
    initrd=$ROOTFS/boot/initrd.img-$kver
    [[ -f "$initrd" && -f "$ROOTFS/boot/vmlinuz-$kver" ]] || die "no kernel/initramfs $kver in the rootfs"
    sum_before=$(sha256sum "$ROOTFS/boot/vmlinuz-$kver" "$initrd" | cut -d' ' -f1)
    echo "$kver" >"$WORK/kver"

    chroot_mount
    mv "$ROOTFS/etc/resolv.conf" "$WORK/resolv.conf.guest"
    cp -L /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
    echo "deb $MIRROR bookworm main" >"$ROOTFS/etc/apt/sources.list"
    # Do not touch the build host's firmware: no NVRAM entry, no removable-path copy.
    in_chroot debconf-set-selections <<'EOF'
grub-efi-amd64 grub2/update_nvram boolean false
grub-efi-amd64 grub2/force_efi_extra_removable boolean false
EOF
    log "apt-get install in chroot: ${EFI_PKGS[*]} (replaces grub-pc)"
    {
        in_chroot apt-get update -q &&
        in_chroot apt-get install -y -q --no-install-recommends "${EFI_PKGS[@]}"
    } >"$WORK/apt.log" 2>&1 ||
        { tail -n 30 "$WORK/apt.log" >&2; die "apt-get install failed (log: $WORK/apt.log)"; }
    in_chroot dpkg-query -W -f '${Status}\n' grub-pc 2>/dev/null | grep -q '^install ok installed' &&
        die "grub-pc is still installed"
    in_chroot dpkg-query -W -f '${Package} ${Version}\n' >"$WORK/packages.txt"
    in_chroot apt-get clean
    rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/*.bin \
           "$ROOTFS"/var/log/*.log "$ROOTFS"/var/log/apt/*
    find "$ROOTFS/usr/share/doc" -mindepth 2 ! -type d ! -name copyright -delete
    find "$ROOTFS/usr/share/doc" -mindepth 2 -type d -empty -delete
    rm -rf "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/*
    find "$ROOTFS/usr/share/locale" -mindepth 1 -maxdepth 1 -type d -exec rm -rf {} + 2>/dev/null || true

    [[ "$(sha256sum "$ROOTFS/boot/vmlinuz-$kver" "$initrd" | cut -d' ' -f1)" == "$sum_before" ]] ||
        die "the kernel or initramfs changed while installing the EFI packages"
    local list m
    list=$(in_chroot lsinitramfs "/boot/initrd.img-$kver")
    for m in "${FORBIDDEN_IN_INITRD[@]}"; do
        grep -Eq "/${m}\.ko(\.[a-z]+)?$" <<<"$list" && die "initramfs unexpectedly contains $m"
    done
    log "kernel and initramfs unchanged; virtio_blk/virtio_pci/virtio_scsi absent (lsinitramfs)"
    chroot_umount
    mv -f "$WORK/resolv.conf.guest" "$ROOTFS/etc/resolv.conf"
}

# --- 2. the GPT disk ---------------------------------------------------------
build_disk() {
    local esp_start=2048 root_start data_start
    root_start=$((esp_start + ESP_MB * 2048))
    data_start=$((root_start + ROOT_MB * 2048))
    mkdir -p "$WORK/datafs"
    cat >"$WORK/datafs/V2V-DATA-MARKER" <<'EOF'
This is the /data file system of the v2v test fixture (partition 3, /dev/sda3 on VMware, UEFI variant).
EOF
    log "mkfs: ESP ${ESP_MB} MiB (vfat), root ${ROOT_MB} MiB, data ${DATA_MB} MiB (mke2fs -d)"
    rm -f "$WORK"/*.img "$RAW"
    truncate -s "${ESP_MB}M" "$WORK/esp.img"
    truncate -s "${ROOT_MB}M" "$WORK/root.img"
    truncate -s "${DATA_MB}M" "$WORK/data.img"
    mkfs.vfat -i "$ESP_VOLID" -n EFI "$WORK/esp.img" >/dev/null
    mke2fs -q -F -t ext4 -L rootfs -U "$ROOT_UUID" -E hash_seed="$ROOT_UUID" \
        -d "$ROOTFS" "$WORK/root.img" "${ROOT_MB}M"
    mke2fs -q -F -t ext4 -L data -U "$DATA_UUID" -E hash_seed="$DATA_UUID" \
        -d "$WORK/datafs" "$WORK/data.img" "${DATA_MB}M"

    log "assembling the GPT disk ($DISK_MB MiB) with sfdisk + dd"
    truncate -s "${DISK_MB}M" "$RAW"
    sfdisk -q --no-reread --no-tell-kernel "$RAW" <<EOF
label: gpt
label-id: $DISK_GUID
unit: sectors

start=$esp_start, size=$((ESP_MB * 2048)), type=$ESP_TYPE, uuid=$ESP_GUID, name="EFI System Partition"
start=$root_start, size=$((ROOT_MB * 2048)), type=$LINUX_TYPE, uuid=$ROOT_PART_GUID
start=$data_start, size=$((DATA_MB * 2048)), type=$LINUX_TYPE, uuid=$DATA_PART_GUID
EOF
    # every start is MiB-aligned: copy in MiB blocks
    dd if="$WORK/esp.img"  of="$RAW" bs=1M seek=$((esp_start / 2048))  conv=notrunc,sparse status=none
    dd if="$WORK/root.img" of="$RAW" bs=1M seek=$((root_start / 2048)) conv=notrunc,sparse status=none
    dd if="$WORK/data.img" of="$RAW" bs=1M seek=$((data_start / 2048)) conv=notrunc,sparse status=none
    rm -f "$WORK"/*.img
    (cd "$WORK" && sfdisk -d guest.raw) >"$WORK/sfdisk.txt"

    # grub.cfg is generated with GRUB_DISABLE_LINUX_UUID=true in the environment so
    # its kernel line says root=/dev/sda2; /etc/default/grub stays as the plain build's.
    log "grub-install --target=x86_64-efi --uefi-secure-boot --no-nvram and grub-mkconfig via guestfish"
    rm -f "$WORK/grub.cfg" "$WORK/esp-find.txt"
    guestfish --rw --format=raw -a "$RAW" >"$WORK/guestfish.log" 2>&1 <<EOF ||
run
mount /dev/sda2 /
mount /dev/sda3 /data
mount /dev/sda1 /boot/efi
sh "grub-install --target=x86_64-efi --efi-directory=/boot/efi --bootloader-id=debian --uefi-secure-boot --no-nvram 2>&1"
sh "GRUB_DISABLE_LINUX_UUID=true grub-mkconfig -o /boot/grub/grub.cfg 2>&1"
download /boot/grub/grub.cfg "$WORK/grub.cfg"
find /boot/efi/EFI | cat >"$WORK/esp-find.txt"
umount-all
EOF
        { cat "$WORK/guestfish.log" >&2; die "guestfish grub installation failed"; }
    [[ -s "$WORK/grub.cfg" && -s "$WORK/esp-find.txt" ]] || die "guestfish did not read back grub.cfg and the ESP"
    local kver esp
    kver=$(cat "$WORK/kver")
    esp=$(sed 's|^/*|EFI/|' "$WORK/esp-find.txt" | sort)
    printf 'EFI\n%s\n' "$esp" >"$WORK/esp-list.txt"
    local f
    for f in EFI/debian/shimx64.efi EFI/debian/grubx64.efi EFI/debian/grub.cfg; do
        grep -qx "$f" <<<"$esp" || die "the ESP lacks $f (see $WORK/esp-list.txt)"
    done
    grep -qix 'EFI/BOOT' <<<"$esp" && die "the ESP has an EFI/BOOT fallback; a VMware install has none"
    grep -Eq "^[[:space:]]*linux[[:space:]]+/boot/vmlinuz-$kver .*root=/dev/sda2 .*console=ttyS0" "$WORK/grub.cfg" ||
        die "grub.cfg has no 'linux ... root=/dev/sda2 ... console=ttyS0' line (see $WORK/grub.cfg)"
    log "ESP has EFI/debian/{shimx64,grubx64}.efi + grub.cfg and no EFI/BOOT; grub.cfg says root=/dev/sda2 (verified)"
}

# --- 3. outputs --------------------------------------------------------------
write_outputs() {
    local sum kver
    kver=$(cat "$WORK/kver")
    sum=$(sha256sum "$RAW" | cut -d' ' -f1)
    echo "$sum  guest.raw" >"$OUTDIR/guest.raw.sha256"
    log "qemu-img convert -> guest.vmdk (monolithicSparse, lsilogic)"
    rm -f "$OUTDIR/guest.vmdk"
    qemu-img convert -f raw -O vmdk -o subformat=monolithicSparse,adapter_type=lsilogic \
        "$RAW" "$OUTDIR/guest.vmdk"
    # The plain .vmx plus UEFI firmware; its nvram = "guest.nvram" stays (the tests write that file).
    sed -e 's|^annotation = .*|annotation = "Debian 12 test guest for VMware -> KVM conversion, UEFI (ESP /dev/sda1, root on /dev/sda2, /data on /dev/sda3)"|' \
        -e '/^guestOS = /a firmware = "efi"' "$PLAIN_DIR/guest.vmx" >"$OUTDIR/guest.vmx"
    grep -qx 'firmware = "efi"' "$OUTDIR/guest.vmx" && grep -qx 'nvram = "guest.nvram"' "$OUTDIR/guest.vmx" ||
        die "guest.vmx lacks firmware = \"efi\" or nvram = \"guest.nvram\""
    {
        echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) by make-uefi-guest.sh from $PLAIN_ROOTFS"
        echo "guest kernel: $kver (initramfs as the plain build: no virtio)"
        echo "disk: GPT $DISK_GUID, ${DISK_MB} MiB; sda1 ESP vfat ${ESP_MB} MiB PARTUUID=$ESP_GUID volid=$ESP_VOLID (/boot/efi);" \
             "sda2 ext4 ${ROOT_MB} MiB PARTUUID=$ROOT_PART_GUID UUID=$ROOT_UUID (/); sda3 ext4 ${DATA_MB} MiB PARTUUID=$DATA_PART_GUID UUID=$DATA_UUID (/data)"
        echo "raw sha256: $sum"
        echo; echo "== sfdisk -d"; cat "$WORK/sfdisk.txt"
        echo; echo "== /etc/fstab"; cat "$ROOTFS/etc/fstab"
        echo; echo "== ESP (find EFI)"; cat "$WORK/esp-list.txt"
        echo; echo "== grub.cfg linux lines"; grep -E '^[[:space:]]*linux' "$WORK/grub.cfg"
        echo; echo "== EFI boot packages"; grep -E '^(shim-signed|shim-signed-common|shim-unsigned|grub-efi-amd64|grub-efi-amd64-signed|grub-efi-amd64-bin|efibootmgr) ' "$WORK/packages.txt"
        echo; echo "== packages"; cat "$WORK/packages.txt"
    } >"$OUTDIR/build-info.txt"
    # Nothing reuses the scratch rootfs and raw disk (about 1 GiB): drop them unless asked.
    [[ "$KEEP_WORK" == 1 ]] || rm -rf "$ROOTFS" "$RAW"
    log "done in $(( $(date +%s) - START_TS )) s: $OUTDIR/guest.vmdk ($(du -m "$OUTDIR/guest.vmdk" | cut -f1) MiB), guest.vmx, guest.raw.sha256"
}

make_rootfs
build_disk
write_outputs
