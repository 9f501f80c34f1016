using AgentCloud.SandboxBroker.Exec;

namespace AgentCloud.SandboxBroker.Processes;

/// <summary>
/// A sandbox's long-lived isolation boundary at the levels that otherwise make one per exec (bubblewrap, namespace):
/// one launch of the level whose command is an idle init, and whose namespaces later processes and execs join.
/// When the init dies (its PID namespace's first process, or its child) the kernel ends everything that joined.
/// </summary>
public sealed class SandboxBoundary(int targetPid, int hostUid, BoundaryNamespaces namespaces, Task<ExecResult> run, CancellationTokenSource stop)
{
    /// <summary>Its namespaces and root, held open since its start: what a join enters.</summary>
    public BoundaryNamespaces Namespaces { get; } = namespaces;

    /// <summary>The idle init inside: the process whose namespaces, root and uid a joining launch takes.</summary>
    public int TargetPid { get; } = targetPid;

    /// <summary>
    /// Whether the init still runs as the sandbox's uid: checked right before every join, so a pid the kernel has
    /// reused for another uid's process (another sandbox's) is never joined.
    /// </summary>
    public bool Alive => !run.IsCompleted && ProcessTree.Uid(TargetPid) == hostUid
        && ProcessTree.CommandLine(TargetPid) is [_, var arg, ..] && arg == IdleArgument;

    /// <summary>The init's command: sleeps for ever, and its argument marks it among the launch's processes.</summary>
    public static readonly string[] IdleCommand = ["/usr/bin/sleep", IdleArgument];

    public const string IdleArgument = "infinity";

    /// <summary>Kills the init's launch (process group and cgroup), which takes every process that joined it.</summary>
    public async Task StopAsync()
    {
        Namespaces.Stop();
        await stop.CancelAsync();
        await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(10)));
        stop.Dispose();
    }
}
