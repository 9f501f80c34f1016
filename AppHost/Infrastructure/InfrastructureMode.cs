using System.Net.Sockets;
using System.Text;

namespace AgentCloud.AppHost.Infrastructure;

/// <summary>How the stores run: as containers (the usual Aspire way) or as local executables (no Docker daemon).</summary>
public enum InfrastructureMode
{
    Containers,
    Local,
}

public static class InfrastructureModeResolver
{
    public const string SettingName = "AgentCloud:Infrastructure";

    /// <summary>
    /// <c>AgentCloud:Infrastructure</c> decides when set; otherwise publishing always means containers, and a
    /// run uses containers only when a Docker daemon answers (a container without a daemon would wait forever).
    /// </summary>
    public static InfrastructureMode Resolve(IConfiguration configuration, DistributedApplicationExecutionContext execution)
    {
        var setting = configuration[SettingName];
        return setting?.Trim().ToLowerInvariant() switch
        {
            "containers" => InfrastructureMode.Containers,
            "local" => InfrastructureMode.Local,
            null or "" or "auto" => execution.IsPublishMode || DockerDaemonAnswers() ? InfrastructureMode.Containers : InfrastructureMode.Local,
            _ => throw new InvalidOperationException($"{SettingName} must be 'containers', 'local' or 'auto', not '{setting}'."),
        };
    }

    /// <summary>Pings the Docker daemon on its Unix socket, giving up after a second.</summary>
    public static bool DockerDaemonAnswers(string? socketPath = null)
    {
        socketPath ??= DockerSocketPath();
        if (socketPath is null || !File.Exists(socketPath))
        {
            return false;
        }
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.ReceiveTimeout = 1000;
            socket.SendTimeout = 1000;
            var connect = socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath));
            if (!connect.Wait(TimeSpan.FromSeconds(1)))
            {
                return false;
            }
            socket.Send("GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n"u8);
            var buffer = new byte[512];
            var read = socket.Receive(buffer);
            return Encoding.ASCII.GetString(buffer, 0, read).Contains(" 200 ", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or AggregateException or IOException)
        {
            return false;
        }
    }

    private static string? DockerSocketPath()
    {
        var host = Environment.GetEnvironmentVariable("DOCKER_HOST");
        if (string.IsNullOrEmpty(host))
        {
            return "/var/run/docker.sock";
        }
        return host.StartsWith("unix://", StringComparison.Ordinal) ? host["unix://".Length..] : null;
    }
}
