using AgentCloud.SandboxBroker.Exec;
using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.SandboxBroker.Sandboxes;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Processes;

/// <summary>
/// Starts background processes: checked as an exec is (command, environment), launched into the sandbox's boundary
/// and cgroup with the run's platform access, then run without a deadline until they exit, are signalled, or the
/// sandbox ends. Their output goes to their <see cref="ProcessLog"/>, capped as an exec's is.
/// </summary>
public sealed class ProcessRunner(
    ExecRequestValidator validator,
    SandboxLaunches launches,
    SandboxManager manager,
    SandboxExecutor executor,
    SlotSandboxes slotSandboxes,
    TimeProvider time,
    IOptions<SandboxBrokerOptions> options,
    ILogger<ProcessRunner> logger)
{
    /// <summary>How many processes a sandbox lists at most: ended ones beyond this are forgotten, oldest first.</summary>
    public const int KeptProcesses = 64;

    private const int MaxCwdBytes = 4096;

    /// <exception cref="SandboxRefusal">when the request is unsound, the sandbox ended, or it runs too many processes.</exception>
    public async Task<BackgroundProcess> StartAsync(Sandbox sandbox, StartProcessRequest request)
    {
        var (command, env, _, _) = validator.Validate(new ExecRequest(request.Command, null, request.Env, null), sandbox.Slot.Environment);
        if (request.Cwd is { } cwd && (cwd.Length == 0 || cwd.Contains('\0') || System.Text.Encoding.UTF8.GetByteCount(cwd) > MaxCwdBytes))
        {
            throw new SandboxRefusal(RefusalKind.Invalid, $"cwd must be a folder path without NUL characters, at most {MaxCwdBytes} bytes, e.g. \"/workspace/app\" or \"app\".");
        }
        if (sandbox.Released)
        {
            throw new SandboxRefusal(RefusalKind.Invalid, "The sandbox was deleted.");
        }
        var max = options.Value.MaxBackgroundProcesses;
        var process = sandbox.Processes.TryAdd(command, time.GetUtcNow(), max, KeptProcesses, out var refusal)
            ?? throw new SandboxRefusal(sandbox.Processes.Closed ? RefusalKind.Invalid : RefusalKind.TooManyExecs, refusal!);
        ProcessLaunch launch;
        try
        {
            sandbox.LastUsedAt = time.GetUtcNow();
            slotSandboxes.EnsureRunning(sandbox);
            var spec = new ExecSpec(command, manager.WithPlatformAccess(env, sandbox), sandbox.EgressSocket) { Background = true, OutputInSandbox = true };
            launch = await launches.ForProcessAsync(sandbox, spec, request.Cwd);
        }
        catch (Exception e)
        {
            process.Exit(new ExecResult(126, "", "", 0, false, false), time.GetUtcNow());
            if (e is SandboxRefusal)
            {
                throw;
            }
            logger.LogError(e, "Background process {Pid} of sandbox {SandboxId} could not be launched", process.Pid, sandbox.Id);
            throw new SandboxRefusal(RefusalKind.Busy, "The broker could not launch the process just now; try again shortly.");
        }
        process.Deliver = launch.Signal;
        process.OutputFiles = launch.OutputFiles;
        _ = Task.Run(() => RunAsync(sandbox, process, launch));
        // Answered once the launch runs, so a signal right after the answer reaches it.
        try
        {
            await process.Log.Launched.WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            logger.LogWarning("Background process {Pid} of sandbox {SandboxId} is slow to launch", process.Pid, sandbox.Id);
        }
        return process;
    }

    private async Task RunAsync(Sandbox sandbox, BackgroundProcess process, ProcessLaunch launch)
    {
        ExecResult result;
        var tail = launch.OutputFiles is { } files ? OutputTail.Start(files, process.Log, options.Value.MaxOutputBytes) : null;
        try
        {
            result = await executor.RunAsync(launch, null, Timeout.InfiniteTimeSpan, process.Log, process.KillToken);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Background process {Pid} of sandbox {SandboxId} failed to run", process.Pid, sandbox.Id);
            result = new ExecResult(126, "", "", 0, false, false);
        }
        if (tail is not null)
        {
            await tail.StopAsync(remove: !process.Checkpointed);
            result = result with { Truncated = result.Truncated || tail.Truncated };
        }
        process.Exit(result, time.GetUtcNow());
        sandbox.LastUsedAt = time.GetUtcNow();
        logger.LogInformation("Background process {Pid} of sandbox {SandboxId} exited with {ExitCode}", process.Pid, sandbox.Id, result.ExitCode);
    }
}
