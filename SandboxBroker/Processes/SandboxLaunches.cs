using AgentCloud.SandboxBroker.Exec;
using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.SandboxBroker.Limits;
using AgentCloud.SandboxBroker.Sandboxes;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Processes;

/// <summary>
/// How a command enters a sandbox. gVisor keeps one container per slot already (each exec a <c>runsc exec</c> in it),
/// and the operator-only none level has no boundary at all, so there the level's own launch serves. Bubblewrap and
/// namespace make a fresh boundary per launch; a sandbox that starts a background process gets one long-lived boundary
/// instead (<see cref="SandboxBoundary"/>), and from then on its processes and execs join it with <c>nsenter</c> (every
/// namespace, its root and working folder, the sandbox's uid inside, no capability, no new privileges), so a server
/// one process starts answers a later exec on 127.0.0.1.
/// </summary>
public sealed class SandboxLaunches(
    IsolationCatalog catalog, SandboxExecutor executor, CgroupLimiter cgroups, IOptions<SandboxBrokerOptions> options, ILogger<SandboxLaunches> logger)
{
    private static readonly TimeSpan BoundaryStartTimeout = TimeSpan.FromSeconds(20);

    /// <summary>Loads the environment from fd 3 (opened and unlinked on the host before nsenter), then runs the command in its folder.</summary>
    public const string JoinScript = "unset PWD OLDPWD PATH; . /proc/self/fd/3 || exit 126; exec 3<&-; cd -- \"$1\" || exit 126; shift; exec \"$@\"";

    /// <summary>Runs the command in another folder (relative ones from the workspace, where every level starts).</summary>
    public const string ChdirScript = "cd -- \"$1\" || exit 126; shift; exec \"$@\"";

    public static bool KeepsBoundary(string level) => level is IsolationLevels.Bubblewrap or IsolationLevels.Namespace;

    /// <summary>
    /// An exec, in its own leaf of the sandbox's cgroup: joins the sandbox's boundary when it has one running, else the
    /// level's own launch. Whoever takes it must run it or hand it to <see cref="SandboxExecutor.Finish"/>.
    /// </summary>
    public ProcessLaunch ForExec(Sandbox sandbox, ExecSpec spec) => Confined(sandbox,
        KeepsBoundary(sandbox.Isolation) && sandbox.Processes.Boundary is { Alive: true } boundary
            ? Join(sandbox, boundary, spec, "/workspace")
            : catalog.Backend(sandbox.Isolation).BuildLaunch(sandbox.Slot, spec));

    /// <summary>A background process, confined as an exec is: joins the boundary (started first if the sandbox has none running yet), in <paramref name="cwd"/>.</summary>
    public async Task<ProcessLaunch> ForProcessAsync(Sandbox sandbox, ExecSpec spec, string? cwd)
    {
        if (KeepsBoundary(sandbox.Isolation))
        {
            return Confined(sandbox, Join(sandbox, await EnsureBoundaryAsync(sandbox), spec, cwd ?? "/workspace"));
        }
        if (cwd is not null)
        {
            // The none level runs on the host: its /workspace is the slot's folder.
            var folder = sandbox.Isolation == IsolationLevels.None && (cwd == "/workspace" || cwd.StartsWith("/workspace/", StringComparison.Ordinal))
                ? sandbox.Slot.Workspace + cwd["/workspace".Length..] : cwd;
            spec = spec with { Command = ["/bin/sh", "-c", ChdirScript, "agentcloud-cwd", folder, .. spec.Command] };
        }
        return Confined(sandbox, catalog.Backend(sandbox.Isolation).BuildLaunch(sandbox.Slot, spec));
    }

    /// <summary>
    /// The launch in a fresh leaf of the sandbox's cgroup. Making the leaf fails when a DELETE has just removed the
    /// sandbox's group; the launch then never runs, so its end (a join's hold on the boundary's descriptors) runs here.
    /// </summary>
    private ProcessLaunch Confined(Sandbox sandbox, ProcessLaunch launch)
    {
        try
        {
            return cgroups.Confine(launch, sandbox.Cgroup);
        }
        catch
        {
            launch.Completed?.Invoke(false);
            throw;
        }
    }

    private async Task<SandboxBoundary> EnsureBoundaryAsync(Sandbox sandbox)
    {
        var table = sandbox.Processes;
        await table.BoundaryLock.WaitAsync();
        try
        {
            if (table.Closed)
            {
                throw new SandboxRefusal(RefusalKind.Invalid, "The sandbox was deleted.");
            }
            if (table.Boundary is { Alive: true } running)
            {
                return running;
            }
            if (table.Boundary is { } ended)
            {
                // Most likely a memory or task limit ended it, and with it every process that had joined.
                logger.LogWarning("The {Level} boundary of sandbox {SandboxId} ended; starting a fresh one", sandbox.Isolation, sandbox.Id);
                table.Boundary = null;
                await ended.StopAsync();
            }
            return table.Boundary = await StartBoundaryAsync(sandbox);
        }
        finally
        {
            table.BoundaryLock.Release();
        }
    }

    /// <summary>Launches the level's sandbox around an idle init, in the sandbox's cgroup, and finds that init under the launch.</summary>
    private async Task<SandboxBoundary> StartBoundaryAsync(Sandbox sandbox)
    {
        var spec = new ExecSpec(SandboxBoundary.IdleCommand, new Dictionary<string, string>(sandbox.Slot.Environment, StringComparer.Ordinal), sandbox.EgressSocket);
        var launch = cgroups.Confine(catalog.Backend(sandbox.Isolation).BuildLaunch(sandbox.Slot, spec), sandbox.Cgroup);
        var stop = new CancellationTokenSource();
        var watch = new ProcessLog();
        var run = Task.Run(() => executor.RunAsync(launch, null, Timeout.InfiniteTimeSpan, watch, stop.Token));
        using var deadline = new CancellationTokenSource(BoundaryStartTimeout);
        try
        {
            var host = await watch.Launched.WaitAsync(deadline.Token);
            while (!run.IsCompleted)
            {
                // The launch's own cgroup leaf holds only its processes: read there, not the whole of /proc.
                var candidates = launch.Cgroup is { } leaf ? cgroups.Pids(leaf) : ProcessTree.Descendants(host);
                var init = candidates.FirstOrDefault(pid =>
                    ProcessTree.CommandLine(pid).SequenceEqual(SandboxBoundary.IdleCommand) && ProcessTree.Uid(pid) == sandbox.Slot.Uid);
                // Held open now, then checked to be the init still: from here on no join goes by its pid.
                if (init > 0 && BoundaryNamespaces.Open(init) is { } namespaces)
                {
                    if (ProcessTree.Uid(init) == sandbox.Slot.Uid && ProcessTree.CommandLine(init).SequenceEqual(SandboxBoundary.IdleCommand))
                    {
                        logger.LogInformation("Sandbox {SandboxId} keeps a {Level} boundary for its processes", sandbox.Id, sandbox.Isolation);
                        return new SandboxBoundary(init, sandbox.Slot.Uid, namespaces, run, stop);
                    }
                    namespaces.Stop();
                }
                await Task.Delay(20, deadline.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }
        await stop.CancelAsync();
        var result = await run.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : null, TaskScheduler.Default);
        stop.Dispose();
        // The watch keeps the output (the run's own result has none), so the reason is read there; its start is enough.
        var said = watch.Text().Stderr.Trim();
        logger.LogError("The {Level} boundary of sandbox {SandboxId} did not start: exit {Exit}, {Stderr}",
            sandbox.Isolation, sandbox.Id, result?.ExitCode, said.Length > 2000 ? said[..2000] + "…" : said);
        throw new SandboxRefusal(RefusalKind.Busy, $"The {sandbox.Isolation} sandbox could not start the long-lived boundary its processes run in; try again shortly.");
    }

    /// <summary>
    /// Enters the boundary's namespaces as root of the host (which may enter any), through the descriptors held since its
    /// start (never by its pid), taking its root, then becomes the sandbox's uid inside with an empty capability bounding
    /// set and no new privileges (<see cref="SandboxJoinHelper"/>; nsenter where it is missing); the environment
    /// travels as an open descriptor, never as arguments. The launch's rlimits and cgroup are the sandbox's as usual.
    /// </summary>
    private ProcessLaunch Join(Sandbox sandbox, SandboxBoundary boundary, ExecSpec spec, string cwd)
    {
        var env = new Dictionary<string, string>(spec.Environment, StringComparer.Ordinal);
        if (spec.EgressSocket is not null && sandbox.Isolation == IsolationLevels.Bubblewrap)
        {
            // The boundary runs the in-sandbox forwarder on 127.0.0.1:3128, as a per-exec bubblewrap launch does.
            foreach (var name in new[] { "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY" })
            {
                env[name] = $"http://127.0.0.1:{BubblewrapBackend.ProxyPort}";
            }
            env["no_proxy"] = "localhost,127.0.0.1";
        }
        var uidInside = sandbox.Isolation == IsolationLevels.Namespace ? NamespaceBackend.UidInside : sandbox.Slot.Uid;
        var entered = boundary.Namespaces.BeginJoin()
            ?? throw new SandboxRefusal(RefusalKind.Busy, "The sandbox's boundary was just restarted; try again.");
        var handoff = EnvironmentHandoff.ShellExports(sandbox.Slot, env);
        var args = LaunchPrefix.For(sandbox.Slot, options.Value.Limits, switchUser: false);
        args.AddRange(["setpriv", "--clear-groups", "--"]);
        args.AddRange(handoff.Opener);
        // The working folder is the join script's to set (cd) once the join has entered the root; a relative one is the workspace's, as at start.
        var folder = cwd.StartsWith('/') ? cwd : "/workspace/" + cwd;
        string[] inside = ["/bin/sh", "-c", JoinScript, "agentcloud-join", folder, .. spec.Command];
        if (SandboxJoinHelper.Installed)
        {
            var id = uidInside.ToString(System.Globalization.CultureInfo.InvariantCulture);
            args.AddRange([SandboxJoinHelper.Path, id, id, .. entered, "--", .. inside]);
        }
        else
        {
            SandboxJoinHelper.WarnMissing(logger);
            args.AddRange(["nsenter", .. entered, $"--setuid={uidInside}", $"--setgid={uidInside}", "--", "/usr/bin/setpriv", "--no-new-privs", "--", .. inside]);
        }
        // Once only, however many failure paths end the launch: a second EndJoin would release another join's hold.
        var ended = 0;
        return new ProcessLaunch("setsid", args)
        {
            Handoff = handoff,
            Completed = _ =>
            {
                if (Interlocked.Exchange(ref ended, 1) == 0)
                {
                    boundary.Namespaces.EndJoin();
                }
            },
        };
    }
}
