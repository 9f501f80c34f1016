#!/usr/bin/env bash
# Runs the platform: prerequisites, then the AppHost (local executables without Docker, containers with it).
# Prints the dashboard URL, the Gateway URL and where the operator key is kept, then runs the demo workload
# (three tenants' agents side by side; skip it with --no-demo). Ctrl+C stops everything.
# Other arguments go to the AppHost, e.g. --AgentCloud:Infrastructure=local.
set -euo pipefail
cd "$(dirname "$0")/.."

demo=1
apphost_args=()
for arg in "$@"; do
  if [ "$arg" = "--no-demo" ]; then demo=0; else apphost_args+=("$arg"); fi
done

if [ "$(id -u)" = 0 ]; then bash eng/prereqs.sh; else sudo bash eng/prereqs.sh; fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
export ASPIRE_ALLOW_UNSECURED_TRANSPORT=true ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS=true
export ASPNETCORE_URLS=http://127.0.0.1:15081 ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL=http://127.0.0.1:19081
export ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL=http://127.0.0.1:20081 DOTNET_ENVIRONMENT=Development

dotnet build AppHost -nologo -v:q
dotnet build Cli -nologo -v:q

# The operator key: given in the environment, else kept in the AppHost's user secrets (generated once).
secrets_file="$HOME/.microsoft/usersecrets/agentcloud-apphost-6f1c2b7e/secrets.json"
if [ -z "$(printenv "Parameters__admin-key" || true)" ] && ! grep -q '"Parameters:admin-key"' "$secrets_file" 2>/dev/null; then
  # Piped as JSON on stdin, never as an argument: a command line is readable by every user in /proc/<pid>/cmdline.
  printf '{"Parameters:admin-key":"%s"}' "$(head -c 30 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 40)" \
    | dotnet user-secrets set --project AppHost >/dev/null
  echo "Generated an operator key."
fi

dotnet run --project AppHost --no-build --no-launch-profile -- "${apphost_args[@]}" &
apphost=$!
trap 'kill -TERM $(pgrep -P $apphost) $apphost 2>/dev/null; wait $apphost 2>/dev/null' INT TERM EXIT

healthy=0
for _ in $(seq 1 240); do
  if curl -fsS -o /dev/null http://127.0.0.1:8080/health 2>/dev/null \
     && curl -fsS -o /dev/null http://127.0.0.1:15081/ 2>/dev/null; then healthy=1; break; fi
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

if [ "$demo" = 1 ] && [ "$healthy" = 1 ]; then
  admin_key=$(printenv "Parameters__admin-key" || dotnet user-secrets list --project AppHost | sed -n 's/^Parameters:admin-key = //p')
  echo "Running the demo workload (three tenants side by side; --no-demo skips it)…"
  # The key travels in the CLI's environment (AGENTCLOUD_KEY), not in its argv.
  AGENTCLOUD_KEY="$admin_key" dotnet Cli/bin/Debug/net10.0/AgentCloud.Cli.dll demo --url http://127.0.0.1:8080 \
    || echo "The demo did not complete; the platform keeps running."
fi
wait "$apphost"
