#!/usr/bin/env bash
# Builds, once, the Linux VMware-guest fixture (../shared/fixtures/make-linux-guest.sh) that
# V2VConverter.Guest.Tests converts and boots: the plain variant, the GRUB_PIN_SDA_IN_DEFAULTS=1
# variant and the UEFI variant (tests/deps/make-uefi-guest.sh, made from the plain build's rootfs).
# Cached in ${V2V_GUEST_FIXTURE_CACHE:-/var/tmp/v2v-guest-fixture}/<sha of the script>/,
# so a rerun is instant; the uefi variant is rebuilt too when make-uefi-guest.sh changes (its
# .complete holds that script's sha). Skips (exit 0) when ../shared is absent, as the tests do.
#   guest-fixture.sh            build all three variants (tests/run.sh hook)
#   guest-fixture.sh plain      build one variant and print its directory as the last line
#   guest-fixture.sh pinned
#   guest-fixture.sh uefi       (builds plain first)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
shared=${V2V_SHARED_DIR:-$root/../shared}
script=$shared/fixtures/make-linux-guest.sh
if [[ ! -x "$script" ]]; then
    echo "guest-fixture: $script not found; the guest tests will skip" >&2
    exit 0
fi
export LIBGUESTFS_BACKEND=${LIBGUESTFS_BACKEND:-direct}
export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}
uefi_script=$root/tests/deps/make-uefi-guest.sh
hash=$(sha256sum "$script" | cut -c1-16)
cache=${V2V_GUEST_FIXTURE_CACHE:-/var/tmp/v2v-guest-fixture}/$hash
mkdir -p "$cache"
export FIXTURE_WORK=${FIXTURE_WORK:-$cache/build}

build() { # build VARIANT
    local v=$1 out=$cache/$1 pin=0
    [[ $v == pinned ]] && pin=1
    if [[ -f "$out/.complete" ]]; then
        return 0
    fi
    echo "guest-fixture: building the '$v' fixture guest in $out (about 1-2 minutes)" >&2
    rm -rf "$out"
    GRUB_PIN_SDA_IN_DEFAULTS=$pin nice -n 10 "$script" "$out" >"$cache/$v.log" 2>&1 ||
        { tail -n 30 "$cache/$v.log" >&2; echo "guest-fixture: build failed, log $cache/$v.log" >&2; return 1; }
    touch "$out/.complete"
}

build_uefi() {
    local out=$cache/uefi sha
    sha=$(sha256sum "$uefi_script" | cut -c1-16)
    build plain
    if [[ -f "$out/.complete" && "$(cat "$out/.complete")" == "$sha" ]]; then
        return 0
    fi
    echo "guest-fixture: building the 'uefi' fixture guest in $out (about 1-2 minutes)" >&2
    rm -rf "$out"
    PLAIN_DIR=$cache/plain PLAIN_ROOTFS=$FIXTURE_WORK/rootfs UEFI_WORK=$cache/uefi-build \
        nice -n 10 "$uefi_script" "$out" >"$cache/uefi.log" 2>&1 ||
        { tail -n 30 "$cache/uefi.log" >&2; echo "guest-fixture: build failed, log $cache/uefi.log" >&2; return 1; }
    echo "$sha" >"$out/.complete"
}

# One build at a time (tests and tests/run.sh may race).
exec 9>"$cache/.lock"
flock 9
case "${1:-all}" in
    all) build plain; build pinned; build_uefi ;;
    plain|pinned) build "$1"; echo "$cache/$1" ;;
    uefi) build_uefi; echo "$cache/uefi" ;;
    *) echo "usage: guest-fixture.sh [all|plain|pinned|uefi]" >&2; exit 2 ;;
esac
