#!/usr/bin/env bash
# The whole test suite: installs the Debian packages the tests need when they are missing
# (tests/deps/apt-packages.txt), runs the setup hooks in tests/deps/setup.d/, then every test, then
# (also on failure or Ctrl+C) the teardown hooks in tests/deps/teardown.d/ (e.g. stopping libvirtd).
# Prints a closing line "N passed, N failed, N skipped".
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# Extra Debian suites some test packages come from (tests/deps/apt-sources/SUITE.sources), on the release they are for.
sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
sources_added=0
for src in tests/deps/apt-sources/*.sources; do
  [ -e "$src" ] || continue
  case "$(basename "$src")" in "$codename"-*) ;; *) continue ;; esac
  dest=/etc/apt/sources.list.d/v2v-$(basename "$src")
  if ! cmp -s "$src" "$dest"; then
    echo "tests/run.sh: adding apt source $dest"
    $sudo_cmd install -m 0644 "$src" "$dest"
    sources_added=1
  fi
done

missing=()
while read -r pkg; do
  [ -n "$pkg" ] || continue
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' tests/deps/apt-packages.txt)
if [ ${#missing[@]} -gt 0 ] || [ "$sources_added" -eq 1 ]; then
  echo "tests/run.sh: installing ${missing[*]:-nothing new}"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

teardown() {
  for hook in tests/deps/teardown.d/*.sh; do
    [ -e "$hook" ] || continue
    echo "tests/run.sh: teardown $(basename "$hook")"
    bash "$hook" || true
  done
}
trap teardown EXIT

for hook in tests/deps/setup.d/*.sh; do
  [ -e "$hook" ] || continue
  echo "tests/run.sh: setup $(basename "$hook")"
  bash "$hook"
done

results="$root/.cache/test-results"
rm -rf "$results"
mkdir -p "$results"
status=0
# A test's child-process entry point (Category=ChildProcess, e.g. the journal writer a kill test kills) is not a test of
# its own: it is left out unless the caller passes a filter of their own.
filter=(--filter "Category!=ChildProcess")
for a in "$@"; do
  case "$a" in --filter|--filter=*) filter=() ;; esac
done
dotnet test V2VConverter.sln -c Release -nologo --logger "trx" --results-directory "$results" "${filter[@]}" "$@" || status=$?

# One closing line over all test projects, from the TRX summaries.
passed=0 failed=0 skipped=0
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); passed=$((passed + ${p:-0}))
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters"); failed=$((failed + ${f:-0}))
  n=$(sed -n 's/.* notExecuted="\([0-9]*\)".*/\1/p' <<<"$counters"); skipped=$((skipped + ${n:-0}))
done
echo "$passed passed, $failed failed, $skipped skipped"
if [ "$status" -eq 0 ] && [ "$failed" -gt 0 ]; then status=1; fi
exit "$status"
