using System.Diagnostics;
using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.SandboxBroker.Limits;
using AgentCloud.SandboxBroker.Native;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Exec;

/// <summary>
/// Runs a launch: feeds stdin, keeps capped stdout/stderr, and on timeout (or the caller going away) kills the
/// whole process group the launch leads; the PID namespace then takes every descendant with it, and where the launch
/// has a cgroup, its kill (<c>cgroup.kill</c>, or freeze-and-kill on v1) takes even those that left the group.
/// Writes the launch's environment file first (0600, the sandbox's uid) and removes it if the launch did not.
/// </summary>
public sealed class SandboxExecutor(IOptions<SandboxBrokerOptions> options, CgroupLimiter cgroups, ILogger<SandboxExecutor> logger)
{
    /// <summary>How long output may keep arriving after the main process has exited (a leftover holding the pipe).</summary>
    private static readonly TimeSpan OutputGrace = TimeSpan.FromMilliseconds(500);

    public Task<ExecResult> RunAsync(ProcessLaunch launch, byte[]? stdin, TimeSpan timeout, CancellationToken cancellationToken) =>
        RunAsync(launch, stdin, timeout, output: null, cancellationToken);

    /// <summary>As the buffered run, also handing each kept piece of output to <paramref name="output"/> as it arrives.</summary>
    public async Task<ExecResult> RunAsync(ProcessLaunch launch, byte[]? stdin, TimeSpan timeout, IExecOutput? output, CancellationToken cancellationToken)
    {
        var killed = false;
        try
        {
            return await RunInternalAsync(launch, stdin, timeout, output, () => killed = true, cancellationToken);
        }
        finally
        {
            Finish(launch, killed);
        }
    }

    /// <summary>
    /// Starts a launch with its pipes redirected: first what it needs on disk (its environment file, 0600 and the
    /// sandbox's; its files), then the program, in a clean environment, inheriting no descriptor of the broker's.
    /// </summary>
    public static Process Start(ProcessLaunch launch)
    {
        if (launch.Handoff is { } handoff)
        {
            WriteHandoff(handoff);
        }
        foreach (var (path, content) in launch.FilesToWrite)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, content);
        }
        var psi = new ProcessStartInfo(launch.FileName)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = "/",
        };
        psi.Environment.Clear();
        psi.Environment["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        foreach (var a in launch.Arguments)
        {
            psi.ArgumentList.Add(a);
        }
        InheritedDescriptors.CloseOnExec();
        return Process.Start(psi) ?? throw new IOException($"could not start {launch.FileName}");
    }

    /// <summary>What every launch leaves behind once it is over: its environment file, its cgroup leaf (killed when it was), the backend's own end.</summary>
    public void Finish(ProcessLaunch launch, bool killed)
    {
        try
        {
            if (launch.Handoff is { } handoff)
            {
                // The loader deletes it as soon as it has read it; this covers a launch that never got that far.
                File.Delete(handoff.Path);
            }
            if (launch.Cgroup is { } group)
            {
                cgroups.EndExec(group, kill: killed);
            }
        }
        finally
        {
            launch.Completed?.Invoke(killed);
        }
    }

    private async Task<ExecResult> RunInternalAsync(
        ProcessLaunch launch, byte[]? stdin, TimeSpan timeout, IExecOutput? output, Action onKill, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        using var process = Start(launch);
        output?.Launched(process.Id);
        CappedBuffer Capture(ExecOutputStream stream) => new(options.Value.MaxOutputBytes, output is null ? null : b => output.WriteAsync(stream, b),
            keep: output is not { KeepsOutput: true }, onCut: output is null ? null : () => output.Cut(stream));
        var stdout = Capture(ExecOutputStream.Stdout);
        var stderr = Capture(ExecOutputStream.Stderr);
        var readers = Task.WhenAll(stdout.DrainAsync(process.StandardOutput.BaseStream), stderr.DrainAsync(process.StandardError.BaseStream));
        _ = FeedAsync(process, stdin);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            timedOut = !cancellationToken.IsCancellationRequested;
            KillGroup(process.Id);
            onKill();
            if (launch.Cgroup is { } group)
            {
                cgroups.Kill(group);
            }
            await process.WaitForExitAsync(CancellationToken.None);
        }
        output?.Exited();
        await Task.WhenAny(readers, Task.Delay(OutputGrace, CancellationToken.None));
        watch.Stop();
        var exitCode = timedOut ? 137 : process.ExitCode;
        return new ExecResult(exitCode, stdout.Text(), stderr.Text(), watch.ElapsedMilliseconds, timedOut, stdout.Truncated || stderr.Truncated);
    }

    /// <summary>Created 0600 (never readable by anyone else, not even for a moment), then given to the sandbox's uid.</summary>
    internal static void WriteHandoff(EnvironmentHandoff handoff)
    {
        using (var file = new FileStream(handoff.Path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            file.Write(System.Text.Encoding.UTF8.GetBytes(handoff.Content));
        }
        if (LaunchPrefix.BrokerIsRoot && Libc.LChown(handoff.Path, handoff.Uid, handoff.Uid) != 0)
        {
            File.Delete(handoff.Path);
            throw new IOException($"chown of the environment file to uid {handoff.Uid} failed with errno {Libc.LastError}");
        }
    }

    private async Task FeedAsync(Process process, byte[]? stdin)
    {
        try
        {
            if (stdin is { Length: > 0 })
            {
                await process.StandardInput.BaseStream.WriteAsync(stdin);
            }
            process.StandardInput.Close();
        }
        catch (IOException e)
        {
            logger.LogDebug(e, "The sandboxed command closed stdin before reading all of it");
        }
    }

    /// <summary>The launch starts with setsid, so its pid is also its process group id.</summary>
    public static void KillGroup(int pid)
    {
        Libc.Kill(-pid, Libc.SIGKILL);
        Libc.Kill(pid, Libc.SIGKILL);
    }
}
