using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace AgentCloud.Tests.Shared;

/// <summary>Small helpers for the server fixtures: free ports, running commands, waiting for a condition.</summary>
public static class LocalProcess
{
    public static bool RunningAsRoot => Environment.UserName == "root";

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Runs a program to completion, failing with its output when it exits non-zero.</summary>
    public static async Task<string> RunAsync(string command, IEnumerable<string> args, string? stdin = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(command)
        {
            RedirectStandardInput = stdin is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(cts.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{command} {string.Join(' ', psi.ArgumentList)} exited {process.ExitCode}: {await stderr}{await stdout}");
        }
        return await stdout;
    }

    /// <summary>Starts a long-running server process whose output is discarded (kept for diagnostics in memory).</summary>
    public static Process StartServer(string command, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(command)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Polls until the probe succeeds, or throws after the deadline.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> probe, TimeSpan deadline, string what)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < deadline)
        {
            try
            {
                if (await probe())
                {
                    return;
                }
            }
            catch (Exception)
            {
                // not up yet
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"{what} did not come up within {deadline.TotalSeconds:0} s.");
    }
}
