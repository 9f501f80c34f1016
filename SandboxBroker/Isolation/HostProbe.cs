using System.Diagnostics;

namespace AgentCloud.SandboxBroker.Isolation;

/// <summary>Looks at the host for backends: binaries on PATH, device files, and short trial runs.</summary>
public class HostProbe
{
    public virtual bool OnPath(string program, out string path)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate))
            {
                path = candidate;
                return true;
            }
        }
        path = "";
        return false;
    }

    public virtual bool FileExists(string path) => File.Exists(path);

    public virtual bool DeviceUsable(string device)
    {
        try
        {
            using var stream = new FileStream(device, FileMode.Open, FileAccess.ReadWrite);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Runs a command briefly; null when it succeeded, else what went wrong.</summary>
    public virtual string? Trial(IReadOnlyList<string> command)
    {
        try
        {
            var psi = new ProcessStartInfo(command[0]) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var a in command.Skip(1))
            {
                psi.ArgumentList.Add(a);
            }
            using var process = Process.Start(psi)!;
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Kill(entireProcessTree: true);
                return "timed out after 10 s";
            }
            return process.ExitCode == 0 ? null : $"exit {process.ExitCode}: {stderr.Result.Trim()}";
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return e.Message;
        }
    }
}
