#!/usr/bin/env bash
# Runs the VMDK fuzz harness for a short, time-bounded session (default 30 s; FUZZ_SECONDS overrides).
# Crashing inputs land in tests/V2VConverter.Formats.Tests/Vmdk/Regressions/<ExceptionType>-<hash>.bin,
# where the replay test (VmdkFuzzRegressionTests) keeps them failing until fixed. Exit status 1 on a crash.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
seconds="${FUZZ_SECONDS:-30}"
seed="${FUZZ_SEED:-$(date +%s)}"
dotnet build "$root/tests/fuzz/V2VConverter.Fuzz/V2VConverter.Fuzz.csproj" -c Release -nologo -v q >/dev/null
exec dotnet run --project "$root/tests/fuzz/V2VConverter.Fuzz/V2VConverter.Fuzz.csproj" -c Release --no-build -- --seconds "$seconds" --seed "$seed"
