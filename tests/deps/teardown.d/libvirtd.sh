#!/usr/bin/env bash
# Stops what tests/deps/setup.d/libvirtd.sh started, by the PIDs it recorded: destroys the domains
# still running (their qemu processes outlive libvirtd), stops the test pools (unmounting the fs pool)
# and the default network (its dnsmasq), then sshd, libvirtd and virtlogd, and removes the namespace
# (with its bridge) and detaches the fs pool's loop device. Safe to run when nothing is up. Pool definitions and
# images stay for the next setup.
set -uo pipefail
dir=${V2V_LIBVIRT_DIR:-/var/tmp/v2v-libvirt-test}
ns=v2v-test
uri=qemu:///system
log() { echo "teardown libvirtd.sh: $*" >&2; }
alive() { [[ -s $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }
stop() { # PIDFILE NAME
    alive "$1" || { rm -f "$1"; return 0; }
    local pid; pid=$(cat "$1")
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then log "$2 ($pid) ignored SIGTERM for 10 s; SIGKILL"; kill -KILL "$pid" 2>/dev/null; fi
    rm -f "$1"
}
[[ -d $dir ]] || exit 0
if alive "$dir/libvirtd.pid"; then
    for d in $(virsh -c "$uri" list --name 2>/dev/null); do
        log "destroying domain $d left running"; virsh -c "$uri" destroy "$d" >/dev/null 2>&1
    done
    if [[ -f $dir/env ]]; then
        for p in $(sed -n 's/^\(DIR\|FS\)_POOL=//p' "$dir/env"); do virsh -c "$uri" pool-destroy "$p" >/dev/null 2>&1; done
    fi
    virsh -c "$uri" net-destroy default >/dev/null 2>&1
fi
stop "$dir/sshd.pid" sshd
stop "$dir/libvirtd.pid" libvirtd
stop "$dir/virtlogd.pid" virtlogd
# The fs pool's loop device (unmounted by pool-destroy above; the mount namespace is gone with libvirtd anyway).
if [[ -s $dir/fs.loop ]] && losetup -n -O BACK-FILE "$(cat "$dir/fs.loop")" 2>/dev/null | grep -q "$dir/pools/fs.img"; then
    losetup -d "$(cat "$dir/fs.loop")" || log "could not detach $(cat "$dir/fs.loop")"
fi
rm -f "$dir/fs.loop"
if ip netns list | grep -qw "^$ns"; then ip netns del "$ns"; fi
rm -f "$dir/env"
log "stopped"
