using System.Diagnostics;
using AgentCloud.SandboxBroker.Exec;
using AgentCloud.SandboxBroker.Isolation;
using AgentCloud.SandboxBroker.Sandboxes;

namespace AgentCloud.SandboxBroker.Processes;

/// <summary>
/// Connections to a port a process listens on inside a sandbox, with no host network given to the sandbox: each
/// connection is one <c>socat</c> run inside the sandbox's boundary (joined like any exec, as the sandbox's uid, in its
/// cgroup) that bridges its stdin and stdout to <c>127.0.0.1:port</c> there. The broker speaks HTTP over those pipes.
/// </summary>
public sealed class SandboxPorts(SandboxLaunches launches, SandboxExecutor executor, ILogger<SandboxPorts> logger)
{
    /// <summary>Why no port of this sandbox can be reached now; null when a connection can be tried.</summary>
    public static string? Unreachable(Sandbox sandbox) => sandbox.Isolation switch
    {
        IsolationLevels.Gvisor => null,
        IsolationLevels.Bubblewrap or IsolationLevels.Namespace when sandbox.Processes.Boundary is { Alive: true } => null,
        IsolationLevels.Bubblewrap or IsolationLevels.Namespace =>
            "Nothing in this sandbox outlives its call yet: start the server as a background process (POST …/processes), then reach its port.",
        _ => $"Ports are not offered at the {sandbox.Isolation} level.",
    };

    /// <summary>Starts the forwarder and answers its pipes as one connection; the forwarder ends when the connection is disposed.</summary>
    public Stream Connect(Sandbox sandbox, int port)
    {
        var spec = new ExecSpec(["socat", "-", $"TCP:127.0.0.1:{port}"], new Dictionary<string, string>(sandbox.Slot.Environment, StringComparer.Ordinal), null)
        {
            Background = true,
        };
        var launch = launches.ForExec(sandbox, spec);
        Process process;
        try
        {
            process = SandboxExecutor.Start(launch);
        }
        catch
        {
            executor.Finish(launch, killed: true);
            throw;
        }
        // socat's complaints (connection refused) go to the log, never to the client.
        _ = process.StandardError.ReadToEndAsync().ContinueWith(t =>
        {
            if (t.IsCompletedSuccessfully && t.Result.Length > 0)
            {
                logger.LogDebug("Port forwarder of sandbox {SandboxId}: {Stderr}", sandbox.Id, t.Result.Trim());
            }
        }, TaskScheduler.Default);
        var pid = process.Id;
        return new ProcessStream(process, () =>
        {
            SandboxExecutor.KillGroup(pid);
            executor.Finish(launch, killed: true);
        });
    }
}
