#!/usr/bin/env bash
# Builds a sandbox template's read-only root layer from Debian packages: `apt-get download` fetches each package
# (no dependency resolution: list the libraries too), `dpkg -x` unpacks it into the layer (no maintainer scripts run).
# The layer is mounted read-only at /opt/template in each sandbox of the template (SandboxBroker:Templates:<name>:RootLayer).
# Usage: sudo bash eng/template-layer.sh <layer-dir> <package>...   e.g. /var/lib/agentcloud/templates/tools tree
# Idempotent: a layer already built from the same package list is left as it is.
set -euo pipefail

layer="${1:?usage: template-layer.sh <layer-dir> <package>...}"
shift
[ "$#" -gt 0 ] || { echo "template-layer.sh: name at least one package" >&2; exit 2; }
wanted="$*"
if [ -f "$layer/.agentcloud-packages" ] && [ "$(cat "$layer/.agentcloud-packages")" = "$wanted" ]; then
  exit 0
fi
work=$(mktemp -d)
chmod 0755 "$work" # apt fetches as _apt
trap 'rm -rf "$work"' EXIT
# A fresh machine may have no package lists yet: fetch them once if the download cannot find a package.
if ! (cd "$work" && apt-get download -qq "$@" >/dev/null 2>&1); then
  apt-get update -qq
  (cd "$work" && apt-get download -qq "$@" >/dev/null)
fi
mkdir -p "$work/layer"
for deb in "$work"/*.deb; do
  dpkg -x "$deb" "$work/layer"
done
printf '%s' "$wanted" > "$work/layer/.agentcloud-packages"
# Readable by every sandbox uid, writable by none; no set-id bit survives.
chown -R root:root "$work/layer"
chmod -R u+rwX,go+rX,go-w,ug-s "$work/layer"
mkdir -p "$(dirname "$layer")"
rm -rf "$layer.old"
[ -e "$layer" ] && mv "$layer" "$layer.old"
mv "$work/layer" "$layer"
rm -rf "$layer.old"
echo "[template-layer] $layer: $wanted"
