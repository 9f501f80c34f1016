using AgentCloud.SandboxBroker.Sandboxes;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Isolation;

/// <summary>
/// unshare, built up the way bubblewrap builds its sandbox: new user, PID, mount, network (lo only, up), IPC, UTS and
/// cgroup namespaces under the sandbox's own host uid; a private root (a small tmpfs with /usr and a few /etc folders
/// read-only, a minimal /dev, a fresh /proc of its own PID namespace, the slot's /tmp and workspace) pivoted into, the
/// host's root detached; no further user namespaces; tenant code as uid 1000 in a nested user namespace, so it holds
/// no capability and can neither mount nor unmount. No egress (no proxy forwarder).
/// </summary>
public sealed class NamespaceBackend(IOptions<SandboxBrokerOptions> options, HostProbe probe) : ISandboxBackend
{
    public const int UidInside = 1000;

    public string Level => IsolationLevels.Namespace;

    private static readonly string[] Namespaces = ["--user", "--map-root-user", "--pid", "--fork", "--kill-child", "--mount", "--net", "--ipc", "--uts", "--cgroup"];

    public BackendAvailability Probe()
    {
        foreach (var program in new[] { "unshare", "pivot_root", "setpriv", "ip" })
        {
            if (!probe.OnPath(program, out _))
            {
                return new(Level, false, $"{program} not found on PATH ({(program == "ip" ? "iproute2" : "util-linux")})");
            }
        }
        var trial = probe.Trial(["unshare", .. Namespaces, "--", "/bin/sh", "-c",
            $"mount -t tmpfs agentcloud-probe /mnt && ip link set lo up && unshare --user --map-user={UidInside} --map-group={UidInside} -- /usr/bin/true"]);
        return trial is null
            ? new(Level, true, "unshare runs with user, pid, mount, net (loopback only), ipc, uts and cgroup namespaces; private root, no capabilities, non-root uid inside")
            : new(Level, false, $"unshare trial run failed: {trial}");
    }

    public ProcessLaunch BuildLaunch(SandboxSlot slot, ExecSpec spec)
    {
        var handoff = EnvironmentHandoff.ShellExports(slot, spec.Environment);
        var args = LaunchPrefix.For(slot, options.Value.LimitsOf(slot.Template), switchUser: true);
        args.AddRange(["unshare", .. Namespaces, "--", "/bin/sh", "-c", SetupScript, "agentcloud-ns", handoff.Path, slot.RootMount, slot.Tmp, slot.Workspace,
            options.Value.LayerOf(slot.Template) ?? ""]);
        args.AddRange(spec.Command);
        return new ProcessLaunch("setsid", args) { Handoff = handoff };
    }

    /// <summary>
    /// Runs as root of the new user namespace with the broker's clean environment: opens (and deletes) the environment
    /// file first, brings up loopback in the empty network namespace (servers inside answer on 127.0.0.1), builds the new root, pivots into it and detaches the host's, caps user namespaces at the one still to
    /// come, then drops to uid 1000 in a nested user namespace where the loader reads the environment from fd 3.
    /// </summary>
    public const string SetupScript = """
        set -e
        exec 3< "$1"; rm -f -- "$1"
        N="$2"; T="$3"; W="$4"; L="$5"; shift 5
        ip link set lo up
        mount --make-rprivate /
        mount -t tmpfs -o mode=0755,size=1m,nosuid,nodev agentcloud-root "$N"
        cd "$N"
        mkdir usr proc dev tmp workspace etc run oldroot
        ln -s usr/bin bin; ln -s usr/sbin sbin; ln -s usr/lib lib; ln -s usr/lib64 lib64
        mount --rbind /usr usr; mount -o remount,bind,ro,nosuid,nodev usr
        for e in alternatives ssl ca-certificates; do if [ -d /etc/$e ]; then mkdir etc/$e; mount --rbind /etc/$e etc/$e; mount -o remount,bind,ro,nosuid,nodev etc/$e; fi; done
        if [ -e /etc/localtime ]; then touch etc/localtime; mount --bind /etc/localtime etc/localtime; fi
        for d in null zero full random urandom tty; do touch dev/$d; mount --bind /dev/$d dev/$d; done
        ln -s /proc/self/fd dev/fd; ln -s /proc/self/fd/0 dev/stdin; ln -s /proc/self/fd/1 dev/stdout; ln -s /proc/self/fd/2 dev/stderr
        mkdir dev/shm; mount -t tmpfs -o mode=1777,size=64m,nosuid,nodev shm dev/shm
        mount --bind "$T" tmp; mount --bind "$W" workspace
        mount -t proc -o nosuid,nodev,noexec proc proc
        if [ -n "$L" ]; then mkdir -p opt/template; mount --rbind "$L" opt/template; mount -o remount,bind,ro,nosuid,nodev opt/template; fi
        /usr/sbin/pivot_root . oldroot
        cd /
        umount -l /oldroot; rmdir /oldroot
        mount -o remount,bind,ro /
        echo 1 > /proc/sys/user/max_user_namespaces
        cd /workspace
        exec setpriv --no-new-privs --inh-caps=-all unshare --user --map-user=1000 --map-group=1000 -- \
          /bin/sh -c 'unset PWD OLDPWD PATH; . /proc/self/fd/3 || exit 126; exec 3<&-; exec "$@"' agentcloud-env "$@"
        """;
}
