using System.Globalization;
using System.Text;
using AgentCloud.SandboxBroker.Exec;

namespace AgentCloud.SandboxBroker.Kubernetes;

/// <summary>What an exec in a sandbox pod gave back; output past the cap is cut and says so.</summary>
public sealed record PodExecResult(int ExitCode, string Stdout, string Stderr, bool TimedOut);

/// <summary>
/// Execs and files in a sandbox pod through the pod API's exec subresource (a WebSocket). The environment travels on
/// stdin ahead of the caller's input, read by the shell before the command starts: never in the exec's URL or arguments,
/// which the API server logs.
/// </summary>
public sealed class PodExec(KubernetesCluster cluster)
{
    // Reads exactly the environment block (its size is the first argument), evaluates it, then runs the command with the rest of stdin.
    public const string Loader = "eval \"$(head -c \"$1\")\"; shift; exec \"$@\"";

    public async Task<PodExecResult> RunAsync(string pod, IReadOnlyList<string> command, IReadOnlyDictionary<string, string> environment,
        byte[] stdin, TimeSpan timeout, int maxOutputBytes, CancellationToken cancellationToken)
    {
        var envBlock = Encoding.UTF8.GetBytes(EnvironmentScript(environment));
        // Killed in the pod too: a closed exec stream does not end the process it started.
        var seconds = ((int)Math.Ceiling(timeout.TotalSeconds) + 1).ToString(CultureInfo.InvariantCulture);
        List<string> argv = ["timeout", "-s", "KILL", seconds, "sh", "-c", Loader, "agentcloud-exec", envBlock.Length.ToString(CultureInfo.InvariantCulture), .. command];
        var stdout = new CappedBuffer(maxOutputBytes);
        var stderr = new CappedBuffer(maxOutputBytes);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            var exit = await cluster.Client.NamespacedPodExecAsync(pod, cluster.Options.Namespace, SandboxManifests.Container, argv, tty: false,
                async (input, output, error) =>
                {
                    await input.WriteAsync(envBlock, deadline.Token);
                    await input.WriteAsync(stdin, deadline.Token);
                    await input.FlushAsync(deadline.Token);
                    input.Close();
                    await Task.WhenAll(stdout.DrainAsync(output), stderr.DrainAsync(error));
                }, deadline.Token);
            return new PodExecResult(exit, stdout.Text(), stderr.Text(), false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new PodExecResult(-1, stdout.Text(), stderr.Text(), true);
        }
    }

    public async Task WriteFileAsync(string pod, string path, byte[] content, CancellationToken cancellationToken)
    {
        var result = await RunAsync(pod, ["sh", "-c", "cat > \"$1\"", "agentcloud-write", path], new Dictionary<string, string>(), content,
            TimeSpan.FromMinutes(1), 64 * 1024, cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new KubernetesSandboxException($"Writing {path} in the sandbox failed (exit {result.ExitCode}): {result.Stderr.Trim()}");
        }
    }

    public async Task<string> ReadFileAsync(string pod, string path, int maxBytes, CancellationToken cancellationToken)
    {
        var result = await RunAsync(pod, ["cat", "--", path], new Dictionary<string, string>(), [], TimeSpan.FromMinutes(1), maxBytes, cancellationToken);
        return result.ExitCode == 0
            ? result.Stdout
            : throw new KubernetesSandboxException($"Reading {path} in the sandbox failed (exit {result.ExitCode}): {result.Stderr.Trim()}");
    }

    /// <summary><c>export NAME='value'</c> lines, each value single-quoted; names that are not shell identifiers are refused.</summary>
    public static string EnvironmentScript(IReadOnlyDictionary<string, string> environment)
    {
        var script = new StringBuilder();
        foreach (var (name, value) in environment)
        {
            if (name.Length == 0 || char.IsAsciiDigit(name[0]) || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                throw new ArgumentException($"'{name}' is not a valid environment variable name.", nameof(environment));
            }
            script.Append("export ").Append(name).Append("='").Append(value.Replace("'", "'\\''", StringComparison.Ordinal)).Append("'\n");
        }
        return script.ToString();
    }
}
