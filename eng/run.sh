#!/usr/bin/env bash
# Runs the platform: prerequisites, then the AppHost (local executables without Docker, containers with it).
# Prints the dashboard URL, the Gateway URL and where the operator key is kept. Ctrl+C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ]; then bash eng/prereqs.sh; else sudo bash eng/prereqs.sh; fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
export ASPIRE_ALLOW_UNSECURED_TRANSPORT=true ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS=true
export ASPNETCORE_URLS=http://127.0.0.1:15081 ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL=http://127.0.0.1:19081
export ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL=http://127.0.0.1:20081 DOTNET_ENVIRONMENT=Development

dotnet build AppHost -nologo -v:q

# The operator key: given in the environment, else kept in the AppHost's user secrets (generated once).
secrets_file="$HOME/.microsoft/usersecrets/agentcloud-apphost-6f1c2b7e/secrets.json"
if [ -z "$(printenv "Parameters__admin-key" || true)" ] && ! grep -q '"Parameters:admin-key"' "$secrets_file" 2>/dev/null; then
  dotnet user-secrets set "Parameters:admin-key" "$(head -c 30 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 40)" --project AppHost >/dev/null
  echo "Generated an operator key."
fi

dotnet run --project AppHost --no-build --no-launch-profile -- "$@" &
apphost=$!
trap 'kill -TERM $(pgrep -P $apphost) $apphost 2>/dev/null; wait $apphost 2>/dev/null' INT TERM EXIT

for _ in $(seq 1 180); do
  if curl -fsS -o /dev/null http://127.0.0.1:8080/health 2>/dev/null; then break; fi
  if ! kill -0 "$apphost" 2>/dev/null; then echo "The AppHost exited; see its output above." >&2; exit 1; fi
  sleep 1
done

cat <<MSG

AgentCloud is running.
  Dashboard:    http://127.0.0.1:15081
  Gateway:      http://127.0.0.1:8080
  Operator key: "Parameters:admin-key" in $secrets_file
                (dotnet user-secrets list --project AppHost)
Press Ctrl+C to stop.
MSG
wait "$apphost"
