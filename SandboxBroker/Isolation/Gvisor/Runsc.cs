using System.Diagnostics;

namespace AgentCloud.SandboxBroker.Isolation.Gvisor;

/// <summary>
/// The <c>runsc</c> command line for one state folder. As root, runsc runs the sandbox as nobody in its own user
/// namespace and the app under the slot's uid; without root it needs <c>--rootless</c> (the app is then the broker's uid).
/// No network device (loopback only); connecting to host unix sockets only where a mount reaches them (the egress socket).
/// </summary>
public sealed class Runsc(string stateRoot)
{
    public string StateRoot { get; } = stateRoot;

    public IReadOnlyList<string> Global => LaunchPrefix.BrokerIsRoot
        ? ["runsc", "--root", StateRoot, "--network=none", "--host-uds=open", "--ignore-cgroups"]
        : ["runsc", "--rootless", "--root", StateRoot, "--network=none", "--host-uds=open", "--ignore-cgroups"];

    public List<string> Command(params string[] subcommand) => [.. Global, .. subcommand];

    /// <summary>
    /// Starts a detached container. Its gofer and sandbox outlive this call, so they get /dev/null for stdio (a
    /// pipe would never close) and runsc's own complaint goes to <paramref name="errorLog"/>; null on success, else why not.
    /// </summary>
    public static string? RunDetached(IReadOnlyList<string> command, string errorLog, TimeSpan timeout)
    {
        var result = Run(["/usr/bin/sh", "-c", "exec \"$@\" </dev/null >/dev/null 2>\"$0\"", errorLog, .. command], timeout);
        if (result is null)
        {
            return null;
        }
        var said = File.Exists(errorLog) ? File.ReadAllText(errorLog).Trim() : "";
        return said.Length > 0 ? $"{result}: {said}" : result;
    }

    /// <summary>Runs a short runsc command; null when it exited 0, else its exit code and complaint.</summary>
    public static string? Run(IReadOnlyList<string> command, TimeSpan timeout)
    {
        var (exit, _, stderr) = Execute(command, timeout);
        return exit switch
        {
            0 => null,
            null => $"{string.Join(' ', command.Take(6))} timed out after {timeout.TotalSeconds:F0} s",
            _ => $"exit {exit}" + (stderr.Length > 0 ? $": {stderr}" : ""),
        };
    }

    /// <summary>Runs a short runsc command and returns its standard output (empty when it failed).</summary>
    public static string Output(IReadOnlyList<string> command, TimeSpan timeout)
    {
        var (exit, stdout, _) = Execute(command, timeout);
        return exit == 0 ? stdout : "";
    }

    /// <summary>As <see cref="Run"/>, awaiting runsc instead of blocking a thread: for request paths.</summary>
    public static async Task<string?> RunAsync(IReadOnlyList<string> command, TimeSpan timeout)
    {
        var (exit, _, stderr) = await ExecuteAsync(command, timeout);
        return exit switch
        {
            0 => null,
            null => $"{string.Join(' ', command.Take(6))} timed out after {timeout.TotalSeconds:F0} s",
            _ => $"exit {exit}" + (stderr.Length > 0 ? $": {stderr}" : ""),
        };
    }

    /// <summary>As <see cref="Output"/>, awaiting runsc instead of blocking a thread.</summary>
    public static async Task<string> OutputAsync(IReadOnlyList<string> command, TimeSpan timeout)
    {
        var (exit, stdout, _) = await ExecuteAsync(command, timeout);
        return exit == 0 ? stdout : "";
    }

    private static async Task<(int? Exit, string Stdout, string Stderr)> ExecuteAsync(IReadOnlyList<string> command, TimeSpan timeout)
    {
        using var process = Start(command);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            return (null, "", "");
        }
        // A leftover holding the pipes must not hold the caller: a second at most, as the blocking form waits.
        async Task<string> Text(Task<string> t) => await Task.WhenAny(t, Task.Delay(TimeSpan.FromSeconds(1))) == t ? t.Result.Trim() : "";
        return (process.ExitCode, await Text(stdout), await Text(stderr));
    }

    private static Process Start(IReadOnlyList<string> command)
    {
        var psi = new ProcessStartInfo(command[0]) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false, WorkingDirectory = "/" };
        foreach (var a in command.Skip(1))
        {
            psi.ArgumentList.Add(a);
        }
        return Process.Start(psi) ?? throw new IOException($"could not start {command[0]}");
    }

    /// <summary>Exit code (null on timeout, after killing it), standard output and trimmed standard error.</summary>
    private static (int? Exit, string Stdout, string Stderr) Execute(IReadOnlyList<string> command, TimeSpan timeout)
    {
        using var process = Start(command);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return (null, "", "");
        }
        string Text(Task<string> t) => t.Wait(TimeSpan.FromSeconds(1)) ? t.Result.Trim() : "";
        return (process.ExitCode, Text(stdout), Text(stderr));
    }
}
