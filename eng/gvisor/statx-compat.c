/*
 * Preloaded into every exec of a gVisor sandbox (LD_PRELOAD, set by the SandboxBroker when this library exists).
 * Debian 12's runsc (2022-12-19) refuses statx() with AT_NO_AUTOMOUNT, a flag coreutils passes on every call, so
 * `ls` and `stat` fail with EINVAL inside gVisor. Automounts do not exist in a sandbox, so dropping the flag changes
 * nothing else. This is a compatibility shim, not a boundary: tenant code may unset it and only loses `ls`.
 * Built by eng/prereqs.sh into /usr/lib/agentcloud/gvisor-statx-compat.so.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int statx(int dirfd, const char *restrict path, int flags, unsigned int mask, struct statx *restrict buf)
{
    return (int)syscall(SYS_statx, dirfd, path, flags & ~AT_NO_AUTOMOUNT, mask, buf);
}
