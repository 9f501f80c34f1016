#!/usr/bin/env bash
# Installs what AgentCloud's local mode needs on Debian/Ubuntu: redis-server, bubblewrap, runsc (gVisor, the
# default sandbox level of the pro and enterprise tiers), uidmap, socat
# (the in-sandbox forwarder to the SandboxBroker's egress proxy), e2fsprogs (chattr, used by sandbox tests),
# nginx (benchmark reference proxy), PostgreSQL 15 and pgvector. Idempotent: seconds when all is present.
# pgvector has no Debian 12 package, so we build Debian trixie's source package against PG 15,
# using a private apt configuration so the system's sources stay untouched.
set -euo pipefail

PG_BIN=/usr/lib/postgresql/15/bin
STATE="${AGENTCLOUD_PREREQS_STATE:-/var/cache/agentcloud-prereqs}"
log() { printf '[prereqs] %s\n' "$*"; }
need_root() {
  if [ "$(id -u)" != 0 ]; then
    log "must run as root to install: $*  (sudo bash eng/prereqs.sh)"; exit 1
  fi
}

missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v bwrap >/dev/null || missing+=(bubblewrap)
command -v runsc >/dev/null || missing+=(runsc)
command -v newuidmap >/dev/null || missing+=(uidmap)
command -v socat >/dev/null || missing+=(socat)
# The namespace level brings loopback up in each sandbox's network namespace with ip.
command -v ip >/dev/null || PATH="$PATH:/usr/sbin:/sbin" command -v ip >/dev/null || missing+=(iproute2)
command -v chattr >/dev/null || missing+=(e2fsprogs)
command -v nginx >/dev/null || missing+=(nginx-light)
# The console's end-to-end tests drive a headless Chromium through its driver.
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
# Sandboxes see only the host's read-only /usr: the demo agent needs /usr/bin/python3, the egress tests curl.
[ -x /usr/bin/python3 ] || missing+=(python3)
[ -x /usr/bin/curl ] || missing+=(curl)
# A resumed gVisor sandbox's processes are signalled with /usr/bin/kill run inside it.
[ -x /usr/bin/kill ] || missing+=(procps)
[ -x "$PG_BIN/postgres" ] || missing+=(postgresql-15)
[ -x "$PG_BIN/pg_config" ] || [ -x /usr/bin/pg_config ] || missing+=(postgresql-server-dev-15)
vector_ok() { [ -f "$(/usr/lib/postgresql/15/bin/pg_config --sharedir 2>/dev/null || echo /nonexistent)/extension/vector.control" ]; }
if ! vector_ok 2>/dev/null; then
  for p in postgresql-server-dev-15 build-essential dpkg-dev; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
fi
# The statx shim for gVisor execs (eng/gvisor/statx-compat.c) is compiled here.
STATX_COMPAT=/usr/lib/agentcloud/gvisor-statx-compat.so
if ! [ -f "$STATX_COMPAT" ]; then
  command -v gcc >/dev/null || missing+=(gcc)
  dpkg -s libc6-dev >/dev/null 2>&1 || missing+=(libc6-dev)
fi
# de-duplicate
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | awk 'NF && !seen[$0]++')

if [ ${#missing[@]} -gt 0 ]; then
  need_root "${missing[*]}"
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian's packaged services must not hold the ports or data we manage ourselves.
  for svc in redis-server nginx postgresql; do
    systemctl disable --now "$svc" >/dev/null 2>&1 || service "$svc" stop >/dev/null 2>&1 || true
  done
fi

PG_CONFIG="$PG_BIN/pg_config"; [ -x "$PG_CONFIG" ] || PG_CONFIG=/usr/bin/pg_config
if ! [ -f "$("$PG_CONFIG" --sharedir)/extension/vector.control" ]; then
  need_root pgvector
  log "building pgvector from Debian trixie's source package"
  work="$STATE/pgvector"; rm -rf "$work"; mkdir -p "$work/sources" "$work/lists/partial" "$work/cache/archives/partial"
  cat > "$work/sources/trixie-src.sources" <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  aptopts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$work/sources"
           -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o APT::Sandbox::User=root)
  apt-get "${aptopts[@]}" update -qq
  (cd "$work" && apt-get "${aptopts[@]}" source --download-only -qq pgvector >/dev/null)
  tarball=$(ls "$work"/pgvector_*.orig.tar.* | head -n1)
  mkdir -p "$work/src" && tar -xf "$tarball" -C "$work/src" --strip-components=1
  make -s -C "$work/src" PG_CONFIG="$PG_CONFIG" OPTFLAGS="" >/dev/null
  make -s -C "$work/src" PG_CONFIG="$PG_CONFIG" OPTFLAGS="" install >/dev/null
  log "pgvector installed"
fi
if ! [ -f "$STATX_COMPAT" ] || [ "$(dirname "$0")/gvisor/statx-compat.c" -nt "$STATX_COMPAT" ]; then
  need_root "$STATX_COMPAT"
  mkdir -p "$(dirname "$STATX_COMPAT")"
  gcc -O2 -shared -fPIC -Wall -Werror -o "$STATX_COMPAT.tmp" "$(dirname "$0")/gvisor/statx-compat.c"
  chmod 0644 "$STATX_COMPAT.tmp" && mv -f "$STATX_COMPAT.tmp" "$STATX_COMPAT"
  log "built $STATX_COMPAT (ls and stat inside gVisor)"
fi
# The join helper (eng/sandbox-join.c): processes joining a sandbox's boundary drop the capability bounding set with it.
SANDBOX_JOIN=/usr/lib/agentcloud/sandbox-join
if ! [ -x "$SANDBOX_JOIN" ] || [ "$(dirname "$0")/sandbox-join.c" -nt "$SANDBOX_JOIN" ]; then
  need_root "$SANDBOX_JOIN"
  mkdir -p "$(dirname "$SANDBOX_JOIN")"
  gcc -O2 -Wall -Werror -o "$SANDBOX_JOIN.tmp" "$(dirname "$0")/sandbox-join.c"
  chmod 0755 "$SANDBOX_JOIN.tmp" && mv -f "$SANDBOX_JOIN.tmp" "$SANDBOX_JOIN"
  log "built $SANDBOX_JOIN (joins drop the capability bounding set)"
fi
# The demo sandbox template "tools" (SandboxBroker:Templates:tools): a read-only layer with `tree`, which the host lacks.
TEMPLATE_TOOLS=/var/lib/agentcloud/templates/tools
if ! [ -f "$TEMPLATE_TOOLS/.agentcloud-packages" ]; then
  need_root "$TEMPLATE_TOOLS"
  bash "$(dirname "$0")/template-layer.sh" "$TEMPLATE_TOOLS" tree
fi
log "all prerequisites present (redis-server, bwrap, uidmap, socat, iproute2, nginx, postgres 15, pgvector, the tools template layer)"
