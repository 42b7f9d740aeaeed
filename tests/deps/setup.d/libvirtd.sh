#!/usr/bin/env bash
# Starts the real libvirtd that the libvirt tests (-o libvirt) run against. Idempotent: a second run
# while everything is up only checks it (well under a second). No systemd here, so it starts, by hand:
#   1. a network namespace "v2v-test" (lo up, a bridge v2vbr0), so that the "default" network's
#      firewall rules and dnsmasq live there and the host's firewall is never touched;
#   2. virtlogd (without it, starting a domain fails on virtlogd-sock);
#   3. libvirtd INSIDE the namespace, listening on the unix socket (qemu:///system, reachable from any
#      namespace) and on TCP 127.0.0.1:16509 of the namespace (qemu+tcp://127.0.0.1/system, auth none);
#   4. sshd on 127.0.0.1:$ssh_port of the namespace, with its own config, host key and client key
#      (qemu+ssh://root@127.0.0.1:PORT/system); ~/.ssh and /etc/ssh are never read or written;
#   5. the "default" network, a dir pool "v2v-test-dir" and an fs pool "v2v-test-fs" (ext4 on a loop device,
#      mounted by libvirt in its own mount namespace, the one `ip netns exec` made), to show a second pool type.
#      (A logical pool needs device-mapper, absent in this container: /dev/mapper/control does not exist.)
# Clients of the tcp and ssh URIs must run inside the namespace: `ip netns exec v2v-test CMD`.
# Everything it starts is recorded by PID in $dir; tests/deps/teardown.d/libvirtd.sh stops it.
# What the tests read is written to $dir/env (KEY=VALUE lines), see tests/V2VConverter.TestSupport/LibvirtHost.cs.
# Set V2V_LIBVIRT_SKIP=1 to skip (the libvirt tests then skip too, except under CI).
set -euo pipefail
dir=${V2V_LIBVIRT_DIR:-/var/tmp/v2v-libvirt-test}
ns=v2v-test
bridge=v2vbr0
tcp_port=16509
ssh_port=10022
dir_pool=v2v-test-dir
fs_pool=v2v-test-fs
fs_size=${V2V_LIBVIRT_FS_POOL_SIZE:-512M}
local_uri=qemu:///system

log() { echo "libvirtd.sh: $*" >&2; }
die() { log "$*"; exit 1; }
if [[ ${V2V_LIBVIRT_SKIP:-} == 1 ]]; then log "V2V_LIBVIRT_SKIP=1: not starting libvirtd"; exit 0; fi
if [[ $(id -u) -ne 0 ]]; then
    # Under CI the libvirt tests must run, so this is fatal there; elsewhere they skip with a message.
    [[ -z ${CI:-} ]] || die "needs root (network namespace, libvirtd, sshd)"
    log "not root: not starting libvirtd (network namespace, libvirtd and sshd need root); the libvirt tests will skip"
    exit 0
fi
for t in ip libvirtd virtlogd virsh sshd ssh-keygen mkfs.ext4; do
    command -v "$t" >/dev/null || die "$t is not installed (tests/deps/apt-packages.txt)"
done
start=$(date +%s.%N)
mkdir -p "$dir/ssh" "$dir/pools/dir" "$dir/pools/fs"
chmod 700 "$dir/ssh"
inns() { ip netns exec "$ns" "$@"; }
alive() { [[ -s $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# 1. namespace and bridge
if ! ip netns list | grep -qw "^$ns"; then
    ip netns add "$ns"
fi
inns ip link set lo up
if ! inns ip link show "$bridge" >/dev/null 2>&1; then
    inns ip link add "$bridge" type bridge
fi
inns ip link set "$bridge" up
# getaddrinfo(AI_ADDRCONFIG), which libvirtd uses for listen_addr, fails while the namespace has no
# non-loopback address: give the bridge one from TEST-NET-1 (RFC 5737).
inns ip -4 addr show dev "$bridge" | grep -q 192.0.2.1/ || inns ip addr add 192.0.2.1/24 dev "$bridge"

# 2. virtlogd (host namespace: it only talks over a unix socket)
if ! alive "$dir/virtlogd.pid"; then
    virtlogd --daemon --pid-file "$dir/virtlogd.pid"
fi

# 3. libvirtd in the namespace
cat >"$dir/libvirtd.conf" <<EOF
# Written by tests/deps/setup.d/libvirtd.sh
listen_tls = 0
listen_tcp = 1
listen_addr = "127.0.0.1"
tcp_port = "$tcp_port"
auth_tcp = "none"
log_outputs = "3:file:$dir/libvirtd.log"
EOF
if ! alive "$dir/libvirtd.pid"; then
    [[ ! -S /run/libvirt/libvirt-sock ]] || ! virsh -c "$local_uri" uri >/dev/null 2>&1 \
        || die "another libvirtd (not started by this script) already serves $local_uri; stop it first"
    inns libvirtd --daemon --listen --config "$dir/libvirtd.conf" --pid-file "$dir/libvirtd.pid"
    fresh_libvirtd=1
fi
for _ in $(seq 1 300); do
    virsh -c "$local_uri" uri >/dev/null 2>&1 && break
    sleep 0.1
done
virsh -c "$local_uri" uri >/dev/null 2>&1 || die "libvirtd did not answer on $local_uri within 30 s; see $dir/libvirtd.log"
[[ -z ${fresh_libvirtd:-} ]] || inns virsh -c "qemu+tcp://127.0.0.1:$tcp_port/system" uri >/dev/null 2>&1 \
    || die "libvirtd does not listen on tcp 127.0.0.1:$tcp_port in namespace $ns; see $dir/libvirtd.log"

# 4. sshd in the namespace, with its own keys
[[ -f $dir/ssh/host_ed25519_key ]] || ssh-keygen -q -t ed25519 -N '' -C v2v-test-host -f "$dir/ssh/host_ed25519_key"
[[ -f $dir/ssh/client_ed25519_key ]] || ssh-keygen -q -t ed25519 -N '' -C v2v-test-client -f "$dir/ssh/client_ed25519_key"
cp "$dir/ssh/client_ed25519_key.pub" "$dir/ssh/authorized_keys"
echo "[127.0.0.1]:$ssh_port $(cut -d' ' -f1,2 "$dir/ssh/host_ed25519_key.pub")" >"$dir/ssh/known_hosts"
cat >"$dir/ssh/sshd_config" <<EOF
# Written by tests/deps/setup.d/libvirtd.sh: sshd for the qemu+ssh tests, inside namespace $ns only.
ListenAddress 127.0.0.1:$ssh_port
HostKey $dir/ssh/host_ed25519_key
AuthorizedKeysFile $dir/ssh/authorized_keys
PidFile $dir/sshd.pid
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
X11Forwarding no
PrintMotd no
EOF
# The ssh client libvirt runs (URI parameter command=): our key and known_hosts, no ~/.ssh, no /etc/ssh/ssh_config.
cat >"$dir/ssh/ssh" <<EOF
#!/bin/sh
# Written by tests/deps/setup.d/libvirtd.sh: the ssh client of the qemu+ssh test URI.
exec ssh -F none -o UserKnownHostsFile=$dir/ssh/known_hosts -o GlobalKnownHostsFile=/dev/null \\
    -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes -o BatchMode=yes "\$@"
EOF
chmod 755 "$dir/ssh/ssh"
if ! alive "$dir/sshd.pid"; then
    mkdir -p /run/sshd
    inns "$(command -v sshd)" -f "$dir/ssh/sshd_config" -E "$dir/sshd.log"
    for _ in $(seq 1 50); do alive "$dir/sshd.pid" && break; sleep 0.1; done
    alive "$dir/sshd.pid" || die "sshd did not start; see $dir/sshd.log"
    fresh_sshd=1
fi
ssh_uri="qemu+ssh://root@127.0.0.1:$ssh_port/system?keyfile=$dir/ssh/client_ed25519_key&command=$dir/ssh/ssh"
# Probed once after a start (a key exchange costs seconds on a loaded machine).
if [[ -n ${fresh_sshd:-}${fresh_libvirtd:-} ]] && ! inns virsh -c "$ssh_uri" uri >/dev/null 2>&1; then
    die "qemu+ssh does not work: $(inns virsh -c "$ssh_uri" uri 2>&1 | head -n 3)"
fi

# 5. network and pools
# One virsh call lists what is active; only what is missing goes the slow way below.
active=$(virsh -c "$local_uri" 'net-list --name; pool-list --name' 2>/dev/null || true)
up() { grep -qx "$1" <<<"$active"; }
if ! up default && [[ $(virsh -c "$local_uri" net-info default 2>/dev/null | awk '/^Active:/ {print $2}') != yes ]]; then
    virsh -c "$local_uri" net-start default >/dev/null
fi
pool() { # NAME XML: define (when missing) and start (when inactive)
    up "$1" && return 0
    if ! virsh -c "$local_uri" pool-info "$1" >/dev/null 2>&1; then
        virsh -c "$local_uri" pool-define /dev/stdin >/dev/null <<<"$2"
    fi
    if [[ $(virsh -c "$local_uri" pool-info "$1" | awk '/^State:/ {print $2}') != running ]]; then
        virsh -c "$local_uri" pool-start "$1" >/dev/null
    fi
}
pool "$dir_pool" "<pool type='dir'><name>$dir_pool</name><target><path>$dir/pools/dir</path></target></pool>"
if [[ ! -f $dir/pools/fs.img ]]; then
    truncate -s "$fs_size" "$dir/pools/fs.img.tmp"
    mkfs.ext4 -q -F "$dir/pools/fs.img.tmp"
    mv "$dir/pools/fs.img.tmp" "$dir/pools/fs.img"
fi
# The fs pool's source is a block device: a loop device we attach (losetup) and record. Given the image file
# itself, libvirt mounts it but, comparing /dev/loopN with the file name, never sees it mounted, so it never
# unmounts it and a restart of the pool fails with "already mounted".
if ! up "$fs_pool"; then
    loop=$(losetup -n -O NAME -j "$dir/pools/fs.img" | head -n 1)
    [[ -n $loop ]] || loop=$(losetup -f --show "$dir/pools/fs.img")
    echo "$loop" >"$dir/fs.loop"
    if virsh -c "$local_uri" pool-dumpxml "$fs_pool" >"$dir/fs-pool.xml" 2>/dev/null && ! grep -q "path='$loop'" "$dir/fs-pool.xml"; then
        virsh -c "$local_uri" pool-destroy "$fs_pool" >/dev/null 2>&1 || true
        virsh -c "$local_uri" pool-undefine "$fs_pool" >/dev/null
    fi
    pool "$fs_pool" "<pool type='fs'><name>$fs_pool</name><source><device path='$loop'/><format type='ext4'/></source><target><path>$dir/pools/fs</path></target></pool>"
fi

cat >"$dir/env.tmp" <<EOF
LOCAL_URI=$local_uri
TCP_URI=qemu+tcp://127.0.0.1:$tcp_port/system
SSH_URI=$ssh_uri
NAMESPACE=$ns
BRIDGE=$bridge
NETWORK=default
DIR_POOL=$dir_pool
FS_POOL=$fs_pool
STATE_DIR=$dir
EOF
mv "$dir/env.tmp" "$dir/env"
log "up in $(awk "BEGIN {printf \"%.1f\", $(date +%s.%N) - $start}") s ($local_uri; tcp and ssh in namespace $ns; state in $dir)"
