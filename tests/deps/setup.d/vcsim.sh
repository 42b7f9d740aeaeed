#!/usr/bin/env bash
# Builds the vSphere simulator launcher used by the VSphere source tests (idempotent, fast when built).
set -euo pipefail
exec "$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)/tests/vcsim/build.sh"
