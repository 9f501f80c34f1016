using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using AgentCloud.SandboxBroker.Isolation.Gvisor;
using AgentCloud.SandboxBroker.Sandboxes;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Isolation;

/// <summary>
/// gVisor: a user-space kernel per slot. Each slot runs one long-lived <c>runsc</c> container (started when the slot is
/// made, so warm slots are pre-booted, and restarted fresh at every recycle); each exec is one <c>runsc exec</c> in it.
/// No network device (loopback only); the same read-only /usr, workspace and /tmp as bubblewrap; egress through the
/// broker's proxy socket, bound in at start, and the same in-sandbox forwarder on 127.0.0.1:3128.
/// </summary>
public sealed class GvisorBackend(IOptions<SandboxBrokerOptions> options, HostProbe probe) : ISlotSandboxBackend
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private readonly Lock _rootfsLock = new();
    private readonly ConcurrentDictionary<string, int> _sentries = new(StringComparer.Ordinal);
    private bool _rootfsReady;

    /// <summary>
    /// Host tasks per tenant process under the ptrace platform: each address space is a stub process with a thread per
    /// sentry thread that has entered it, so the cost grows with the sentry's threads (measured on 2 cores: about 12 per
    /// process for a few processes, 30 to 33 with 18 processes at their limit). The tenant's own process limit is
    /// RLIMIT_NPROC, which gVisor enforces (a fork past it is EAGAIN and the sandbox lives on); the host group only has
    /// to sit above what that many processes cost, since a host refusal is fatal to the sentry (it cannot make a thread).
    /// </summary>
    public const int HostTasksPerProcess = 40;

    /// <summary>The sentry's and gofer's own threads, on top of the tenant's processes (about 70 measured at rest).</summary>
    public const int RuntimeTasks = 128;

    /// <summary>
    /// The most host tasks one gVisor sandbox may hold whatever its process limit, so a few sandboxes cannot use up the
    /// host's pids (32768 by default): a sandbox whose process limit would cost more meets this first, and its sentry ends.
    /// </summary>
    public const long MaxHostTasks = 4096;

    public string Level => IsolationLevels.Gvisor;

    /// <summary>Everything gVisor keeps for this broker: the shared root, one bundle and one runsc state folder per slot.</summary>
    public string Home => Path.Combine(Path.GetFullPath(options.Value.Root), "gvisor");

    public string Rootfs => Path.Combine(Home, "rootfs");

    public string Bundle(SandboxSlot slot) => Path.Combine(Home, "bundles", slot.SlotId);

    /// <summary>One runsc state folder per slot, so stopping a slot's sandbox is killing what names it and removing the folder.</summary>
    public Runsc RunscFor(SandboxSlot slot) => new(Path.Combine(Home, "state", slot.SlotId));

    /// <summary>A unix socket path must fit in 108 bytes; a deep root puts the egress folders in a short one named after it.</summary>
    public string EgressHome
    {
        get
        {
            var root = Path.GetFullPath(options.Value.Root);
            return root.Length <= 48 ? Path.Combine(root, "gvisor-egress")
                : Path.Combine(Path.GetTempPath(), "agentcloud-gvisor-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(root)))[..12]);
        }
    }

    public string EgressFolder(SandboxSlot slot) => Path.Combine(EgressHome, slot.SlotId);

    /// <summary>The slot's background-process output files (see <see cref="GvisorSpec.OutputFolderInside"/>): root's folder, the slot's files.</summary>
    public string OutputFolder(SandboxSlot slot) => Path.Combine(Home, "output", slot.SlotId);

    /// <summary>Room for every background process's stdout, stderr and status at the log cap each, with a MiB of slack.</summary>
    public static long OutputFolderBytes(SandboxBrokerOptions options) => (long)options.MaxBackgroundProcesses * 3 * options.MaxOutputBytes + 1024 * 1024;

    public ProcessOutputFiles OutputFilesOf(SandboxSlot slot, string name) => new(name,
        Path.Combine(OutputFolder(slot), name + ".out"), Path.Combine(OutputFolder(slot), name + ".err"),
        Path.Combine(OutputFolder(slot), name + ".status"), Path.Combine(Bundle(slot), $"exec-{name}.pid"));

    public string EgressSocketPath(SandboxSlot slot) => Path.Combine(EgressFolder(slot), "egress.sock");

    /// <summary>The uid tenant code runs as inside: the slot's own where runsc runs as root, else the broker's (rootless maps only that).</summary>
    public static int AppUid(SandboxSlot slot) => LaunchPrefix.BrokerIsRoot ? slot.Uid : 0;

    public BackendAvailability Probe()
    {
        if (!probe.OnPath("runsc", out _))
        {
            return new(Level, false, "runsc (gVisor) not found on PATH (apt package runsc)");
        }
        if (!File.Exists(NestedUserNamespaceFilter.Prefix[0]))
        {
            return new(Level, false, $"{NestedUserNamespaceFilter.Prefix[0]} (perl-base) is missing: each gVisor exec installs its seccomp filter with it");
        }
        // A real container start, not `runsc do`: `do` works on hosts where `run` cannot start a sandbox.
        var trialHome = Path.Combine(Path.GetTempPath(), "agentcloud-gvisor-probe-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var slot = new SandboxSlot("probe", options.Value.UidBase, Level, SandboxTemplate.DefaultName, trialHome, new PoolKey(Level, SandboxTemplate.DefaultName, null));
            foreach (var dir in new[] { slot.Workspace, slot.Tmp, Path.Combine(trialHome, "egress"), Path.Combine(trialHome, "bundle") })
            {
                Directory.CreateDirectory(dir);
            }
            GvisorRootfs.Ensure(Path.Combine(trialHome, "rootfs"));
            var spec = GvisorSpec.Container(slot, Path.Combine(trialHome, "rootfs"), Path.Combine(trialHome, "egress"), options.Value.Limits, AppUid(slot));
            spec["process"]!["args"] = new JsonArray("/usr/bin/true");
            spec["process"]!["user"] = new JsonObject { ["uid"] = AppUid(slot), ["gid"] = AppUid(slot) };
            File.WriteAllText(Path.Combine(trialHome, "bundle", "config.json"), spec.ToJsonString());
            var runsc = new Runsc(Path.Combine(trialHome, "state"));
            // A loaded host (many builds at once) can stall a first start past the probe's timeout; a timeout is retried.
            string? trial = null;
            for (var attempt = 0; attempt < 3; attempt++)
            {
                trial = probe.Trial(runsc.Command("run", "--bundle", Path.Combine(trialHome, "bundle"), $"agentcloud-probe-{Path.GetFileName(trialHome)}-{attempt}"));
                RunscProcesses.KillAll(runsc.StateRoot);
                if (trial is null || !trial.StartsWith("timed out", StringComparison.Ordinal))
                {
                    break;
                }
            }
            return trial is null
                ? new(Level, true, $"runsc starts containers ({(LaunchPrefix.BrokerIsRoot ? "as root: tenant code under the slot's own uid" : "rootless")}, ptrace platform, no network device)")
                : new(Level, false, $"runsc could not start a container: {trial}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new(Level, false, $"runsc trial could not be prepared: {e.Message}");
        }
        finally
        {
            TryDelete(trialHome);
        }
    }

    public void Start(SandboxSlot slot)
    {
        try
        {
            Boot(slot);
        }
        catch (IOException)
        {
            Stop(slot);
            throw;
        }
    }

    private void Boot(SandboxSlot slot, string? checkpointImage = null)
    {
        EnsureRootfs();
        var bundle = Bundle(slot);
        var runsc = RunscFor(slot);
        foreach (var dir in new[] { bundle, runsc.StateRoot, EgressFolder(slot) })
        {
            Directory.CreateDirectory(dir);
            File.SetUnixFileMode(dir, Private);
        }
        // Inside, the slot's uid must pass through the folder to reach the socket (itself 0600, the slot's).
        File.SetUnixFileMode(EgressFolder(slot), Private | UnixFileMode.OtherExecute);
        PrepareOutputFolder(slot);
        var spec = GvisorSpec.Container(slot, Rootfs, EgressFolder(slot), options.Value.LimitsOf(slot.Template), AppUid(slot), options.Value.LayerOf(slot.Template),
            OutputFolder(slot));
        WritePrivate(Path.Combine(bundle, "config.json"), spec.ToJsonString());
        var start = checkpointImage is null
            ? runsc.Command("run", "--detach", "--bundle", bundle, slot.SlotId)
            : runsc.Command("restore", "--detach", "--bundle", bundle, "--image-path", checkpointImage, slot.SlotId);
        var failure = Runsc.RunDetached(start, Path.Combine(bundle, "run.log"), StartTimeout);
        var sentry = failure is null ? RunscProcesses.SandboxPid(runsc.StateRoot) : null;
        if (failure is not null || sentry is null)
        {
            throw new IOException($"the gVisor sandbox of slot {slot.SlotId} did not {(checkpointImage is null ? "start" : "restore")}: {failure ?? "no sandbox process after runsc"}");
        }
        _sentries[slot.SlotId] = sentry.Value;
    }

    /// <summary>
    /// Root's folder, readable and passable inside: the tenant writes its processes' files there but can neither add nor
    /// replace one. Its own fixed-size tmpfs, so output (even of an unlinked file still held open) fills that and gets
    /// ENOSPC, never the host disk the paused store and the journal share.
    /// </summary>
    public void PrepareOutputFolder(SandboxSlot slot)
    {
        Directory.CreateDirectory(OutputFolder(slot));
        if (SlotDisk.Mounts && !SlotDisk.IsMountPoint(OutputFolder(slot)))
        {
            SlotDisk.Mount(OutputFolder(slot), OutputFolderBytes(options.Value), uid: 0, mode: "0755");
        }
        File.SetUnixFileMode(OutputFolder(slot), Private | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
    }

    /// <summary>
    /// Boots the slot's sandbox from a checkpoint image instead of afresh: its workspace, /tmp and output files must be
    /// back in the slot's folders already, and the slot must run under the uid the image's processes run as.
    /// </summary>
    public void Restore(SandboxSlot slot, string checkpointImage)
    {
        try
        {
            Boot(slot, checkpointImage);
        }
        catch (IOException)
        {
            EndSandbox(slot);
            TryDelete(RunscFor(slot).StateRoot);
            throw;
        }
    }

    private static readonly TimeSpan CheckpointTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Saves the slot's running sandbox (every process, its memory) into <paramref name="imageFolder"/>; the sandbox ends. Null on success, else why not.</summary>
    public string? Checkpoint(SandboxSlot slot, string imageFolder)
    {
        Directory.CreateDirectory(imageFolder);
        return Runsc.Run(RunscFor(slot).Command("checkpoint", "--image-path", imageFolder, slot.SlotId), CheckpointTimeout);
    }

    /// <summary>A background process's command: the grandchild of its exec's first process (see <see cref="SignalProcessAsync"/>); null when not found.</summary>
    public async Task<int?> CommandPidAsync(SandboxSlot slot, int firstPid)
    {
        var parents = await RunscParentsAsync(RunscFor(slot), slot.SlotId);
        var init = parents.Where(p => p.Value == firstPid).Select(p => p.Key).DefaultIfEmpty(0).Min();
        var command = parents.Where(p => p.Value == init && init > 0).Select(p => p.Key).DefaultIfEmpty(0).Min();
        return command > 0 ? command : null;
    }

    /// <summary>
    /// Signals a process of a restored sandbox, whose processes <c>runsc ps</c> and <c>runsc kill --pid</c> no longer
    /// find: a <c>kill</c> run inside as the slot's uid, with no capability, so it reaches only the tenant's own processes.
    /// </summary>
    public async Task<bool> SignalInsideAsync(SandboxSlot slot, int pid, int signal) =>
        await Runsc.RunAsync(RunscFor(slot).Command("exec", "--user", $"{AppUid(slot)}:{AppUid(slot)}", slot.SlotId, "/usr/bin/kill",
            "-s", signal.ToString(CultureInfo.InvariantCulture), pid.ToString(CultureInfo.InvariantCulture)), TimeSpan.FromSeconds(10)) is null;


    /// <summary>Whether a pid inside the slot's sandbox is a live process (not a zombie nothing reaps): false too when it cannot be told.</summary>
    public async Task<bool> AliveInsideAsync(SandboxSlot slot, int pid) =>
        await Runsc.RunAsync(RunscFor(slot).Command("exec", "--user", $"{AppUid(slot)}:{AppUid(slot)}", slot.SlotId, "/usr/bin/sh", "-c",
            "! grep -qs '^State:[[:space:]]*[ZX]' /proc/$1/status && kill -s 0 $1", "agentcloud-alive", pid.ToString(CultureInfo.InvariantCulture)),
            TimeSpan.FromSeconds(10)) is null;

    /// <summary>Mid-lease: ends what is left of the slot's sandbox and boots a fresh one around the same folders and egress socket.</summary>
    public void Restart(SandboxSlot slot)
    {
        var runsc = RunscFor(slot);
        if (!EndSandbox(slot))
        {
            throw new IOException($"gVisor sandbox processes of slot {slot.SlotId} survived SIGKILL");
        }
        // A second try after a pause: a loaded host may still be tearing down what the limit killed.
        for (var attempt = 1; ; attempt++)
        {
            TryDelete(runsc.StateRoot);
            try
            {
                Boot(slot);
                return;
            }
            catch (IOException) when (attempt < 2)
            {
                EndSandbox(slot);
                Thread.Sleep(250);
            }
            catch (IOException)
            {
                // Keeps the egress folder: the lease's proxy still listens there for the next exec's try.
                EndSandbox(slot);
                TryDelete(runsc.StateRoot);
                throw;
            }
        }
    }

    /// <summary>
    /// Kills the slot's runsc processes and waits for its sentry's last thread: a killed sentry frees its memory
    /// before its sockets, and a new one under the same container id could not bind its control socket until then.
    /// </summary>
    private bool EndSandbox(SandboxSlot slot)
    {
        _sentries.TryRemove(slot.SlotId, out var sentry);
        var gone = RunscProcesses.KillAll(RunscFor(slot).StateRoot);
        return (sentry == 0 || RunscProcesses.WaitUntilExited(sentry, TimeSpan.FromSeconds(10))) && gone;
    }

    public IReadOnlyList<int> HostProcesses(SandboxSlot slot) => RunscProcesses.Find(RunscFor(slot).StateRoot);

    public bool Running(SandboxSlot slot) =>
        _sentries.TryGetValue(slot.SlotId, out var pid) && RunscProcesses.IsSandbox(pid, RunscFor(slot).StateRoot);

    public long HostTaskBudget(SandboxLimits limits) => Math.Min((long)limits.MaxProcesses * HostTasksPerProcess + RuntimeTasks, MaxHostTasks);

    public string? Stop(SandboxSlot slot)
    {
        var runsc = RunscFor(slot);
        var gone = !Directory.Exists(runsc.StateRoot) || EndSandbox(slot);
        TryDelete(runsc.StateRoot);
        TryDelete(Bundle(slot));
        TryDelete(EgressFolder(slot));
        SlotDisk.UnmountBeneath(OutputFolder(slot));
        TryDelete(OutputFolder(slot));
        return gone ? null : $"gVisor sandbox processes of slot {slot.SlotId} survived SIGKILL";
    }

    public int ReclaimOrphans()
    {
        var stateHome = Path.Combine(Home, "state");
        var reclaimed = 0;
        if (Directory.Exists(stateHome))
        {
            foreach (var state in Directory.EnumerateDirectories(stateHome))
            {
                RunscProcesses.KillAll(state);
                reclaimed++;
            }
        }
        TryDelete(stateHome);
        TryDelete(Path.Combine(Home, "bundles"));
        SlotDisk.UnmountBeneath(Path.Combine(Home, "output"));
        TryDelete(Path.Combine(Home, "output"));
        TryDelete(EgressHome);
        return reclaimed;
    }

    /// <summary>
    /// One exec: its process document (environment, run key included) goes in a 0600 file the launcher opens and
    /// unlinks before runsc reads it through the descriptor, so no secret is ever on a command line. On a kill the
    /// exec's PID namespace goes too: runsc only forwards signals, and SIGKILL to its client would leave the command running.
    /// </summary>
    public ProcessLaunch BuildLaunch(SandboxSlot slot, ExecSpec spec)
    {
        var bundle = Bundle(slot);
        var execId = Guid.NewGuid().ToString("N");
        var processFile = Path.Combine(bundle, $"exec-{execId}.json");
        var pidFile = Path.Combine(bundle, $"exec-{execId}.pid");
        var output = spec is { Background: true, OutputInSandbox: true } ? CreateOutputFiles(slot, execId) : null;
        WritePrivate(processFile, GvisorSpec.Process(spec, options.Value.LimitsOf(slot.Template), AppUid(slot), output?.Name).ToJsonString());
        var runsc = RunscFor(slot);
        List<string> args = ["/usr/bin/sh", "-c", OpenThenUnlink, "agentcloud-gvisor", processFile,
            .. runsc.Command("exec", "--internal-pid-file", pidFile, "--process", "/dev/fd/3", slot.SlotId)];
        return new ProcessLaunch("setsid", args)
        {
            Completed = killed => EndExec(runsc, slot.SlotId, processFile, pidFile, killed),
            Signal = spec.Background ? signal => SignalProcessAsync(runsc, slot.SlotId, pidFile, signal) : null,
            OutputFiles = output,
        };
    }

    /// <summary>The background process's empty output and status files, the slot uid's, in root's folder (so never a link the tenant put there).</summary>
    private ProcessOutputFiles CreateOutputFiles(SandboxSlot slot, string name)
    {
        PrepareOutputFolder(slot);
        var files = OutputFilesOf(slot, name);
        foreach (var path in new[] { files.Stdout, files.Stderr, files.ExitStatus })
        {
            WritePrivate(path, "");
            if (LaunchPrefix.BrokerIsRoot && Native.Libc.LChown(path, AppUid(slot), AppUid(slot)) != 0)
            {
                throw new IOException($"chown {path} failed with errno {Native.Libc.LastError}");
            }
        }
        return files;
    }

    private static readonly TimeSpan SignalSettle = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Signals a background process's command: the grandchild of the exec's first process (that process, then the shell
    /// leading the command's PID namespace, then the command), found in <c>runsc ps</c> by parentage. Waits (bounded)
    /// for a command just launched to appear; false when it has ended. Awaited, never blocking: it runs on a request.
    /// </summary>
    public static async Task<bool> SignalProcessAsync(Runsc runsc, string containerId, string pidFile, int signal)
    {
        var deadline = Environment.TickCount64 + (long)SignalSettle.TotalMilliseconds;
        do
        {
            if (File.Exists(pidFile) && int.TryParse((await File.ReadAllTextAsync(pidFile)).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var first))
            {
                var parents = await RunscParentsAsync(runsc, containerId);
                if (!parents.ContainsValue(first) && !parents.ContainsKey(first))
                {
                    return false; // the exec has ended
                }
                var init = parents.Where(p => p.Value == first).Select(p => p.Key).DefaultIfEmpty(0).Min();
                var command = parents.Where(p => p.Value == init && init > 0).Select(p => p.Key).DefaultIfEmpty(0).Min();
                if (command > 0)
                {
                    return await Runsc.RunAsync(runsc.Command("kill", "--pid", command.ToString(CultureInfo.InvariantCulture), containerId,
                        signal.ToString(CultureInfo.InvariantCulture)), TimeSpan.FromSeconds(10)) is null;
                }
            }
            await Task.Delay(20);
        }
        while (Environment.TickCount64 < deadline);
        return false;
    }

    /// <summary>Each process of the container and its parent, by the container's own pids (columns: UID PID PPID …).</summary>
    internal static async Task<Dictionary<int, int>> RunscParentsAsync(Runsc runsc, string containerId)
    {
        var parents = new Dictionary<int, int>();
        foreach (var line in (await Runsc.OutputAsync(runsc.Command("ps", containerId), TimeSpan.FromSeconds(10))).Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1))
        {
            var cols = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (cols.Length >= 3 && int.TryParse(cols[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && int.TryParse(cols[2], NumberStyles.None, CultureInfo.InvariantCulture, out var parent))
            {
                parents[pid] = parent;
            }
        }
        return parents;
    }

    /// <summary>Opens the process document on descriptor 3, removes its name, then becomes runsc.</summary>
    public const string OpenThenUnlink = "exec 3<\"$1\" && rm -f \"$1\" && shift && exec \"$@\"";

    private static void EndExec(Runsc runsc, string containerId, string processFile, string pidFile, bool killed)
    {
        if (killed && File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            // The exec's first process is the parent of its PID namespace (unshare --kill-child): killing it ends them all.
            Runsc.Run(runsc.Command("kill", "--pid", pid.ToString(CultureInfo.InvariantCulture), containerId, "KILL"), TimeSpan.FromSeconds(10));
        }
        File.Delete(processFile);
        File.Delete(pidFile);
    }

    private void EnsureRootfs()
    {
        lock (_rootfsLock)
        {
            if (!_rootfsReady)
            {
                Directory.CreateDirectory(Home);
                File.SetUnixFileMode(Home, Private | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
                GvisorRootfs.Ensure(Rootfs);
                _rootfsReady = true;
            }
        }
    }

    private static void WritePrivate(string path, string content)
    {
        using var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        file.Write(Encoding.UTF8.GetBytes(content));
    }

    private static void TryDelete(string dir)
    {
        try
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
