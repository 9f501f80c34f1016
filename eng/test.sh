#!/usr/bin/env bash
# Runs every test: installs what the tests need (eng/prereqs.sh), builds once, then runs each test project.
# Tests start their own redis-server and postgres processes on random loopback ports.
#
# Two phases keep the whole run near 20 minutes on 2 cores:
#   1. the sandbox broker's suite (the longest, mostly waiting on sandboxes) beside the other unit and service
#      suites, which run one after another;
#   2. the end-to-end and fault suites alone, since their promises are about time (every call answered within
#      seconds) and they start the whole platform.
# Any extra arguments (e.g. --filter) go to every `dotnet test`.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ]; then bash eng/prereqs.sh; else sudo bash eng/prereqs.sh; fi

export ASPIRE_ALLOW_UNSECURED_TRANSPORT=true DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build AgentCloud.sln -c Release -nologo -v:q

beside=AgentCloud.SandboxBroker.Tests
alone=(AgentCloud.AppHost.Tests AgentCloud.Faults.Tests)
others=()
for dir in Tests/*.Tests; do
  name=$(basename "$dir")
  if [ "$name" != "$beside" ] && [[ ! " ${alone[*]} " == *" $name "* ]]; then others+=("$name"); fi
done

logs=$(mktemp -d)
run() { # project log-file [args...]: one project, its output appended to the log; never stops the script
  local project=$1 log=$2
  shift 2
  dotnet test "Tests/$project/$project.csproj" -c Release --no-build -nologo "$@" >>"$log" 2>&1 || echo "$project" >>"$logs/failed-projects"
}

echo "phase 1: $beside (its output follows the others') beside ${others[*]}"
run "$beside" "$logs/1-broker.log" "$@" &
broker=$!
touch "$logs/2-others.log" "$logs/3-alone.log"
tail -q -n +1 -f "$logs/2-others.log" "$logs/3-alone.log" 2>/dev/null & # the sequential projects' output as it comes
follow=$!
for p in "${others[@]}"; do run "$p" "$logs/2-others.log" "$@"; done
wait "$broker" || true
cat "$logs/1-broker.log"

echo "phase 2: ${alone[*]}"
for p in "${alone[@]}"; do run "$p" "$logs/3-alone.log" "$@"; done
sleep 1
kill "$follow" 2>/dev/null || true

# One plain closing line over all test assemblies.
all=$(cat "$logs"/*.log)
passed=$(grep -oE 'Passed: +[0-9]+' <<<"$all" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE 'Failed: +[0-9]+' <<<"$all" | awk '{s+=$2} END {print s+0}')
skipped=$(grep -oE 'Skipped: +[0-9]+' <<<"$all" | awk '{s+=$2} END {print s+0}')
# The names and first lines of failures again at the end, where a truncated CI log still shows them.
if grep -qE '^\s+Failed [A-Za-z]' <<<"$all"; then
  echo "failed tests:"
  grep -A 12 -E '^\s+Failed [A-Za-z]' <<<"$all" | head -n 120
fi
status=0
if [ -s "$logs/failed-projects" ]; then
  echo "projects with failures: $(tr '\n' ' ' <"$logs/failed-projects")"
  status=1
fi
rm -rf "$logs"
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$status" -eq 0 ] && [ "$passed" -eq 0 ]; then
  echo "no test ran" >&2
  exit 1
fi
exit "$status"
