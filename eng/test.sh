#!/usr/bin/env bash
# Runs every test: installs what the tests need (eng/prereqs.sh), builds once, then runs each test project.
# Tests start their own redis-server and postgres processes on random loopback ports.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ]; then bash eng/prereqs.sh; else sudo bash eng/prereqs.sh; fi

export ASPIRE_ALLOW_UNSECURED_TRANSPORT=true DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build AgentCloud.sln -c Release -nologo -v:q

log=$(mktemp)
status=0
dotnet test AgentCloud.sln -c Release --no-build -nologo -m:1 "$@" 2>&1 | tee "$log" || status=$?

# One plain closing line over all test assemblies.
passed=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
skipped=$(grep -oE 'Skipped: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
# The names and first lines of failures again at the end, where a truncated CI log still shows them.
if grep -qE '^\s+Failed [A-Za-z]' "$log"; then
  echo "failed tests:"
  grep -A 12 -E '^\s+Failed [A-Za-z]' "$log" | head -n 120
fi
rm -f "$log"
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$status" -eq 0 ] && [ "$passed" -eq 0 ]; then
  echo "no test ran" >&2
  exit 1
fi
exit "$status"
