#!/usr/bin/env bash
# Builds tests/vcsim/main.go (vSphere simulator launcher) offline from Debian's govmomi into
# .cache/vcsim/vcsim-v2v. Idempotent: does nothing when the binary is newer than main.go.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
src="$root/tests/vcsim"
out="$root/.cache/vcsim"
bin="$out/vcsim-v2v"
if [ -x "$bin" ] && [ "$bin" -nt "$src/main.go" ]; then
  exit 0
fi
command -v go >/dev/null || { echo "vcsim build: 'go' is missing (apt-get install golang-go golang-github-vmware-govmomi-dev)" >&2; exit 1; }
[ -d /usr/share/gocode/src/github.com/vmware/govmomi/simulator ] || { echo "vcsim build: govmomi sources missing (apt-get install golang-github-vmware-govmomi-dev)" >&2; exit 1; }
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# GOPATH mode: the package must live outside GOPATH/src of Debian's tree; build from a copy.
cp "$src/main.go" "$work/main.go"
cd "$work"
GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$out/gocache" GOFLAGS= go build -o "$bin.tmp" main.go
mv "$bin.tmp" "$bin"
echo "vcsim build: $bin"
