#!/usr/bin/env bash
# Builds what the SandboxBroker's firecracker level needs, on a host with KVM (/dev/kvm):
#   - the firecracker binary            -> /usr/local/bin/firecracker
#   - a guest kernel (uncompressed)     -> $OUT/vmlinux
#   - a read-only Debian root image     -> $OUT/rootfs.ext4, whose /sbin/agentcloud-init runs one exec per boot
# then prints the two settings to give the broker. Needs root and network access (GitHub releases, the kernel URL,
# a Debian mirror). Without these files the level stays unavailable and the broker says which one is missing.
set -euo pipefail

OUT="${OUT:-/var/lib/agentcloud/firecracker}"
FC_VERSION="${FC_VERSION:-v1.7.0}"
ARCH="$(uname -m)"
# Firecracker's CI guest kernel; any uncompressed vmlinux with virtio-blk and ext4 built in will do.
KERNEL_URL="${KERNEL_URL:-https://s3.amazonaws.com/spec.ccfc.min/firecracker-ci/v1.7/$ARCH/vmlinux-5.10.209}"
SUITE="${SUITE:-bookworm}"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"
log() { printf '[firecracker-images] %s\n' "$*"; }

[ "$(id -u)" = 0 ] || { log "must run as root (debootstrap, installing the binary)"; exit 1; }
[ -e /dev/kvm ] || log "warning: /dev/kvm is missing here; the images build, but this host cannot run them"
export DEBIAN_FRONTEND=noninteractive
for tool in debootstrap curl mkfs.ext4; do
  command -v "$tool" >/dev/null || { apt-get update -qq; apt-get install -y -qq --no-install-recommends debootstrap curl e2fsprogs ca-certificates >/dev/null; break; }
done
mkdir -p "$OUT"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT

if ! command -v firecracker >/dev/null; then
  log "firecracker $FC_VERSION"
  curl -fsSL "https://github.com/firecracker-microvm/firecracker/releases/download/$FC_VERSION/firecracker-$FC_VERSION-$ARCH.tgz" | tar -xz -C "$work"
  install -m 0755 "$work/release-$FC_VERSION-$ARCH/firecracker-$FC_VERSION-$ARCH" /usr/local/bin/firecracker
fi

if [ ! -s "$OUT/vmlinux" ]; then
  log "guest kernel from $KERNEL_URL"
  curl -fsSL -o "$OUT/vmlinux.part" "$KERNEL_URL" && mv "$OUT/vmlinux.part" "$OUT/vmlinux"
fi

log "root image: Debian $SUITE minbase with python3 and CA certificates"
root="$work/root"
debootstrap --variant=minbase --include=python3,ca-certificates "$SUITE" "$root" "$MIRROR" >/dev/null
mkdir -p "$root/workspace" "$root/run" "$root/tmp"
cat > "$root/sbin/agentcloud-init" <<'INIT'
#!/bin/sh
# PID 1 of an AgentCloud guest: runs the one exec the host put on the io drive, as the slot's uid without
# capabilities, in the workspace drive; leaves stdout, stderr and the exit code there; then resets the VM.
export PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs -o mode=1777,size=256m tmpfs /tmp
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/ws /run/io
mount -o nosuid,nodev /dev/vdb /run/ws && mount --bind /run/ws/workspace /workspace
mount -o nosuid,nodev,noexec /dev/vdc /run/io
uid="$(cat /run/io/uid)"
cd /workspace
xargs -0 -a /run/io/command setpriv --reuid="$uid" --regid="$uid" --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs \
  env -i < /run/io/stdin > /run/io/stdout 2> /run/io/stderr
echo "$?" > /run/io/exit
cd /
sync; umount /workspace /run/ws /run/io 2>/dev/null
echo 1 > /proc/sys/kernel/sysrq; echo b > /proc/sysrq-trigger
INIT
chmod 0755 "$root/sbin/agentcloud-init"
rm -rf "$root/var/cache/apt/archives"/*.deb "$root/var/lib/apt/lists"/*
mkfs.ext4 -q -F -L agentcloud-root -d "$root" "$OUT/rootfs.ext4.part" 2G && mv "$OUT/rootfs.ext4.part" "$OUT/rootfs.ext4"

log "done; give the SandboxBroker:"
echo "SandboxBroker__FirecrackerKernelImage=$OUT/vmlinux"
echo "SandboxBroker__FirecrackerRootfsImage=$OUT/rootfs.ext4"
