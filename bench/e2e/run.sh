#!/usr/bin/env bash
# End-to-end race: our `convert` against `virt-v2v -i vmx ... -o local` on the same Linux fixture guest
# (../shared/fixtures/make-linux-guest.sh, cached by tests/deps/setup.d/guest-fixture.sh), alternating
# A B A B for PAIRS pairs. Prints the median wall time of each and the ratio ours/virt-v2v; appends a TSV row
# per run to bench/e2e/results.tsv. Both outputs are checked with qemu-img check.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
pairs=${PAIRS:-2}
export LIBGUESTFS_BACKEND=${LIBGUESTFS_BACKEND:-direct} LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}
for p in virt-v2v nbdkit libnbd-bin; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="${missing:-} $p"
done
if [ -n "${missing:-}" ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
fixture=$(bash "$root/tests/deps/setup.d/guest-fixture.sh" plain | tail -n 1)
vmx="$fixture/guest.vmx"
work=$(mktemp -d /var/tmp/v2v-e2e.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$root/v2v" --version >/dev/null   # build outside the timed runs
out="$root/bench/e2e/results.tsv"
[ -f "$out" ] || printf 'date\ttool\tpair\tseconds\n' >"$out"
ours=() theirs=()
for i in $(seq 1 "$pairs"); do
  rm -rf "$work/a" "$work/b"; mkdir -p "$work/a" "$work/b"
  s=$(date +%s.%N); "$root/v2v" convert "$vmx" -o local -os "$work/a" >/dev/null 2>"$work/a.log"; e=$(date +%s.%N)
  t=$(echo "$e - $s" | bc); ours+=("$t"); printf '%s\tv2v\t%s\t%s\n' "$(date -Is)" "$i" "$t" >>"$out"
  qemu-img check -q "$work/a/"*-sda.qcow2
  s=$(date +%s.%N); virt-v2v -i vmx "$vmx" -o local -os "$work/b" -of qcow2 >/dev/null 2>"$work/b.log"; e=$(date +%s.%N)
  t=$(echo "$e - $s" | bc); theirs+=("$t"); printf '%s\tvirt-v2v\t%s\t%s\n' "$(date -Is)" "$i" "$t" >>"$out"
  qemu-img check -q "$work/b/"*-sda
  echo "pair $i: ours ${ours[-1]} s, virt-v2v ${theirs[-1]} s"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
mo=$(median "${ours[@]}"); mt=$(median "${theirs[@]}")
echo "median: ours $mo s, virt-v2v $mt s, ratio $(echo "scale=2; $mo / $mt" | bc)"
