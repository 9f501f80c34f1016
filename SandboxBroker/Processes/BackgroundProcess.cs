using AgentCloud.SandboxBroker.Exec;
using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.SandboxBroker.Native;

namespace AgentCloud.SandboxBroker.Processes;

/// <summary>
/// One process started in a sandbox that outlives the call that started it. <see cref="Pid"/> is the sandbox's own
/// number for it (1, 2, …), not a host pid: it reveals nothing of the host and means nothing in another sandbox.
/// </summary>
public sealed class BackgroundProcess(int pid, IReadOnlyList<string> command, DateTimeOffset startedAt)
{
    public const string Running = "running";
    public const string Exited = "exited";

    private readonly CancellationTokenSource _kill = new();
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Pid { get; } = pid;
    public IReadOnlyList<string> Command { get; } = command;
    public DateTimeOffset StartedAt { get; } = startedAt;
    public ProcessLog Log { get; } = new();

    /// <summary>How it ended (exit code, duration, whether its output was cut); null while it runs.</summary>
    public ExecResult? Result { get; private set; }
    public DateTimeOffset? EndedAt { get; private set; }
    public string State => Result is null ? Running : Exited;

    /// <summary>Cancelled to SIGKILL the process and everything it started (its process group and its cgroup).</summary>
    public CancellationToken KillToken => _kill.Token;

    public Task Ended => _ended.Task;

    /// <summary>The launch's own way to signal the command (gVisor's); null: the launch's host process group gets signals.</summary>
    internal Func<int, Task<bool>>? Deliver { get; set; }

    /// <summary>Where its output goes when not through the launch's pipes (gVisor), so a pause can checkpoint it; null: pipes.</summary>
    public ProcessOutputFiles? OutputFiles { get; internal set; }

    /// <summary>Inside a restored gVisor sandbox, its exec's first process and its command (runsc no longer lists them), for the next checkpoint.</summary>
    public (int First, int Command)? PidsInside { get; internal set; }

    /// <summary>Being checkpointed: its output files are kept for the image when its exec ends with the sandbox.</summary>
    internal volatile bool Checkpointed;

    internal void Exit(ExecResult result, DateTimeOffset at)
    {
        Result = result;
        EndedAt = at;
        Log.End();
        _ended.TrySetResult();
    }

    /// <summary>
    /// Sends the signal to the process's group (its command and what it started, as a terminal's Ctrl-C would); KILL
    /// also kills what left the group, through the launch's cgroup. False when the process has already ended.
    /// </summary>
    public async Task<bool> SignalAsync(int signal)
    {
        if (Result is not null)
        {
            return false;
        }
        if (signal == Libc.SIGKILL)
        {
            Kill();
            return true;
        }
        if (Deliver is { } deliver)
        {
            return await deliver(signal);
        }
        // The group exists once the launch's setsid has run; until then the launch's first process alone gets it.
        Log.TrySignal(signal);
        return true;
    }

    /// <summary>SIGKILLs the process and everything it started (a no-op once it has ended).</summary>
    public void Kill() => _kill.Cancel();
}
