#!/usr/bin/env bash
# Builds, once, the Windows test fixtures for issue 14 and caches them in
# ${V2V_WINDOWS_FIXTURE_CACHE:-/var/tmp/v2v-windows-fixture}/<sha of the inputs>/ (a rerun is instant):
#   win10/ win2k22/ win7-32/ winxp-32/   ../shared/fixtures/make-windows-guest.sh (SKIP_INSPECT=1),
#                          EXTENDED by tests/deps/windows/windows-registry.py: the .vmx's NIC as Windows
#                          records it (static IPv4), a removed vmxnet3 (DHCP), HiberbootEnabled=0 (win10),
#                          a VMware Tools Run entry, the vmmouse filter; the .vmdk is remade from the .raw
#   win10-hiber/           win10 + C:\hiberfil.sys ("HIBR") + HiberbootEnabled=1: a conversion blocker
#   win10-bitlocker/       win10's disk + a second 64 MiB disk whose MBR partition is BitLocker ("-FVE-FS-")
#   virtio-win/ virt-tools/ virtio-win.iso   ../shared/fixtures/make-fake-virtio-win.sh (ISO layout) + its ISO
# Each directory has a .complete marker; each guest a fixture.json that the tests assert against.
# Skips (exit 0) when ../shared is absent, as the tests do.
#   windows-fixture.sh        build everything (tests/run.sh hook)
#   windows-fixture.sh path   build everything and print the cache directory as the last line
# V2V_WINDOWS_FIXTURE_JOBS (default 2): how many guests build at once.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
shared=${V2V_SHARED_DIR:-$root/../shared}
guest_script=$shared/fixtures/make-windows-guest.sh
virtio_script=$shared/fixtures/make-fake-virtio-win.sh
registry=$root/tests/deps/windows/windows-registry.py
if [[ ! -x "$guest_script" || ! -x "$virtio_script" ]]; then
    echo "windows-fixture: $shared/fixtures/make-windows-guest.sh or make-fake-virtio-win.sh not found; the Windows fixture tests will skip" >&2
    exit 0
fi
export LIBGUESTFS_BACKEND=${LIBGUESTFS_BACKEND:-direct}
export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}
hash=$(cat "$guest_script" "$virtio_script" "${BASH_SOURCE[0]}" "$registry" | sha256sum | cut -c1-16)
cache=${V2V_WINDOWS_FIXTURE_CACHE:-/var/tmp/v2v-windows-fixture}/$hash
mkdir -p "$cache"
variants=(win10 win2k22 win7-32 winxp-32)
log() { echo "windows-fixture: $*" >&2; }
fail() { tail -n 30 "$1" >&2; log "failed, log $1"; exit 1; }

virtio_win() { # the fake virtio-win tree, its tools dir and an ISO of the tree
    [[ -f "$cache/virtio-win/.complete" && -f "$cache/virtio-win.iso" ]] && return 0
    rm -rf "$cache/virtio-win" "$cache/virt-tools" "$cache/virtio-win.iso"
    LAYOUT=iso nice -n 10 "$virtio_script" "$cache/virtio-win" "$cache/virt-tools" || return 1
    nice -n 10 xorriso -as mkisofs -quiet -J -R -V virtio-win -o "$cache/virtio-win.iso.tmp" "$cache/virtio-win" || return 1
    mv "$cache/virtio-win.iso.tmp" "$cache/virtio-win.iso"
    touch "$cache/virt-tools/.complete" "$cache/virtio-win/.complete"
}

base() { # VARIANT: the shared script's guest, not yet extended (.built marker)
    local v=$1
    [[ -f "$cache/$v/.built" ]] && return 0
    log "building the phony '$v' guest (about 30-60 s)"
    SKIP_INSPECT=1 NICE="nice -n 10" "$guest_script" "$v" "$cache" >"$cache/$v.log" 2>&1 || fail "$cache/$v.log"
    touch "$cache/$v/.built"
}

bitlocker_disk() { # OUT.raw: 64 MiB, MBR, one NTFS-typed partition whose boot sector says BitLocker
    local raw=$1
    rm -f "$raw"; truncate -s 64M "$raw"
    printf 'label: dos\nlabel-id: 0x0b17c0de\nstart=2048, type=7\n' | sfdisk -q "$raw"
    # A Windows 7+ BitLocker volume header: "\xeb\x58\x90-FVE-FS-" at 0, a BPB (512-byte sectors,
    # 8 per cluster, media 0xF8), the FVE GUID at 160, the offsets of the three FVE metadata
    # blocks at 176/184/192, 0x55AA at 510. blkid's BitLocker probe needs the 11 magic bytes and a
    # first metadata offset (a multiple of 64, non-zero) where a block starts "-FVE-FS-" with its
    # version (2) at 10; without that block blkid reports nothing. The blocks have no entries.
    python3 - "$raw" <<'EOF'
import struct, sys, uuid
part = 2048 * 512
vbr = bytearray(512)
vbr[0:11] = b"\xeb\x58\x90-FVE-FS-"
struct.pack_into("<HB", vbr, 11, 512, 8)
vbr[21] = 0xF8
struct.pack_into("<HHI", vbr, 24, 63, 255, 2048)
vbr[160:176] = uuid.UUID("4967d63b-2e29-4ad8-8399-f6a339e3d001").bytes_le
blocks = [0x100000, 0x1100000, 0x2100000]
struct.pack_into("<QQQ", vbr, 176, *blocks)
vbr[510:512] = b"\x55\xaa"
fve = bytearray(64)
fve[0:8] = b"-FVE-FS-"
struct.pack_into("<HH", fve, 8, 64, 2)
with open(sys.argv[1], "r+b") as f:
    f.seek(part)
    f.write(vbr)
    for b in blocks:
        f.seek(part + b)
        f.write(fve)
EOF
}

extend() { # the registry extension and the two blocker guests, ONE appliance launch for all
    local need=0 v
    for v in "${variants[@]}" win10-hiber; do [[ -f "$cache/$v/.complete" ]] || need=1; done
    ((need)) || return 0
    log "extending the registries (one appliance launch)"
    local fish=$cache/extend.fish adds=() i=0 letters=abcdefgh
    rm -rf "$cache/win10-hiber" && mkdir -p "$cache/win10-hiber"
    cp --sparse=always "$cache/win10/win10.raw" "$cache/win10-hiber/win10-hiber.raw"
    : >"$fish"
    for v in "${variants[@]}" win10-hiber; do
        local src=$v dir=$cache/$v ext
        [[ $v == win10-hiber ]] && src=win10
        ext=$cache/$src/hives/ext
        if [[ $v != win10-hiber ]]; then
            python3 "$registry" reg "$cache/$v"
            cp "$cache/$v/hives/SYSTEM" "$ext/SYSTEM"; cp "$cache/$v/hives/SOFTWARE" "$ext/SOFTWARE"
            chmod u+w "$ext/SYSTEM" "$ext/SOFTWARE"
            hivexregedit --merge --prefix 'HKEY_LOCAL_MACHINE\SYSTEM' "$ext/SYSTEM" "$ext/system.reg"
            [[ -s "$ext/software.reg" ]] &&
                hivexregedit --merge --prefix 'HKEY_LOCAL_MACHINE\SOFTWARE' "$ext/SOFTWARE" "$ext/software.reg"
        else
            cp "$ext/SYSTEM" "$ext/SYSTEM.hiber"
            hivexregedit --merge --prefix 'HKEY_LOCAL_MACHINE\SYSTEM' "$ext/SYSTEM.hiber" "$ext/hiber.reg"
            { printf 'HIBR'; head -c $((1024 * 1024 - 4)) /dev/zero; } >"$ext/hiberfil.sys"
        fi
        local c_part sysroot
        c_part=$(sed -n 's/^c_part=//p' "$cache/$src/layout.env")
        sysroot=$(sed -n 's/^sysroot=//p' "$cache/$src/layout.env")
        adds+=(-a "$dir/$v.raw")
        local dev=/dev/sd${letters:$i:1}${c_part#/dev/sda}
        {
            echo "mount $dev /"
            if [[ $v == win10-hiber ]]; then
                echo "upload $ext/SYSTEM.hiber /$sysroot/System32/config/SYSTEM"
                echo "upload $ext/hiberfil.sys /hiberfil.sys"
            else
                echo "upload $ext/SYSTEM /$sysroot/System32/config/SYSTEM"
                echo "upload $ext/SOFTWARE /$sysroot/System32/config/SOFTWARE"
            fi
            echo "umount /"
        } >>"$fish"
        i=$((i + 1))
    done
    echo sync >>"$fish"
    sed -i '1i run' "$fish"
    nice -n 10 guestfish --rw --format=raw "${adds[@]}" -f "$fish" >"$cache/extend.log" 2>&1 || fail "$cache/extend.log"
    rm -f "$cache/win10-bitlocker/.complete"   # its hard link names the old win10.vmdk
    # win10-hiber's .vmx is win10's with its own disk
    sed -e 's/win10\.vmdk/win10-hiber.vmdk/' -e 's/win10-phony/win10-hiber-phony/' \
        "$cache/win10/win10.vmx" >"$cache/win10-hiber/win10-hiber.vmx"
    for v in "${variants[@]}" win10-hiber; do
        nice -n 10 qemu-img convert -f raw -O vmdk "$cache/$v/$v.raw" "$cache/$v/$v.vmdk.tmp"
        mv "$cache/$v/$v.vmdk.tmp" "$cache/$v/$v.vmdk"
        python3 "$registry" json "$cache/$v" "$v"
        touch "$cache/$v/.complete"
    done
}

bitlocker() { # win10's disk (hard link) + the BitLocker data disk, no appliance
    local d=$cache/win10-bitlocker
    [[ -f "$d/.complete" ]] && return 0
    rm -rf "$d"; mkdir -p "$d"
    ln "$cache/win10/win10.vmdk" "$d/win10.vmdk" 2>/dev/null || cp --sparse=always "$cache/win10/win10.vmdk" "$d/win10.vmdk"
    bitlocker_disk "$d/bitlocker-data.raw"
    local type
    type=$(blkid -p -o value -s TYPE --offset $((2048 * 512)) "$d/bitlocker-data.raw" || true)
    [[ $type == BitLocker ]] || { log "blkid -p does not see BitLocker on the data disk (TYPE='$type')"; exit 1; }
    qemu-img convert -f raw -O vmdk "$d/bitlocker-data.raw" "$d/bitlocker-data.vmdk"
    {
        sed -e 's/win10-phony/win10-bitlocker-phony/' "$cache/win10/win10.vmx"
        printf '%s\n' 'scsi0:1.present = "TRUE"' 'scsi0:1.deviceType = "scsi-hardDisk"' \
            'scsi0:1.fileName = "bitlocker-data.vmdk"'
    } >"$d/win10-bitlocker.vmx"
    python3 "$registry" json "$d" win10-bitlocker
    touch "$d/.complete"
}

# One build at a time (tests and tests/run.sh may race).
exec 9>"$cache/.lock"
flock 9
case "${1:-all}" in
    all | path) ;;
    *) echo "usage: windows-fixture.sh [all|path]" >&2; exit 2 ;;
esac
t0=$(date +%s)
virtio_win >"$cache/virtio-win.log" 2>&1 &
vpid=$!
# The guests: V2V_WINDOWS_FIXTURE_JOBS (2) at a time, each one appliance launch under TCG (about one core).
jobs=${V2V_WINDOWS_FIXTURE_JOBS:-2}
pids=()
for v in "${variants[@]}"; do
    base "$v" &
    pids+=($!)
    if ((${#pids[@]} >= jobs)); then
        wait "${pids[0]}" || exit 1
        pids=("${pids[@]:1}")
    fi
done
for p in "${pids[@]}"; do wait "$p" || exit 1; done
extend
bitlocker
wait "$vpid" || fail "$cache/virtio-win.log"
log "fixtures ready in $cache ($(($(date +%s) - t0)) s)"
[[ ${1:-all} == path ]] && echo "$cache"
exit 0
