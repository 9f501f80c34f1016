using System.Globalization;
using System.Text;
using AgentCloud.SandboxBroker.Exec;

namespace AgentCloud.SandboxBroker.Kubernetes;

/// <summary>What an exec in a sandbox pod gave back; output past the cap is cut and says so.</summary>
public sealed record PodExecResult(int ExitCode, string Stdout, string Stderr, bool TimedOut, bool Truncated = false);

/// <summary>
/// Execs and files in a sandbox pod through the pod API's exec subresource (a WebSocket). The environment travels on
/// stdin ahead of the caller's input, read by the shell before the command starts: never in the exec's URL or arguments,
/// which the API server logs.
/// </summary>
public sealed class PodExec(KubernetesCluster cluster)
{
    // Reads exactly the environment block (its size is the first argument) and evaluates it, then gives the command exactly
    // the caller's stdin (its size the second): the command sees its end without relying on the exec stream closing stdin.
    public const string Loader = "eval \"$(head -c \"$1\")\"; n=\"$2\"; shift 2; head -c \"$n\" | \"$@\"";

    public async Task<PodExecResult> RunAsync(string pod, IReadOnlyList<string> command, IReadOnlyDictionary<string, string> environment,
        byte[] stdin, TimeSpan timeout, int maxOutputBytes, CancellationToken cancellationToken, IExecOutput? output = null)
    {
        var envBlock = Encoding.UTF8.GetBytes(EnvironmentScript(environment));
        // Killed in the pod too: a closed exec stream does not end the process it started.
        var seconds = ((int)Math.Ceiling(timeout.TotalSeconds) + 1).ToString(CultureInfo.InvariantCulture);
        List<string> argv = ["timeout", "-s", "KILL", seconds, "sh", "-c", Loader, "agentcloud-exec", envBlock.Length.ToString(CultureInfo.InvariantCulture),
            stdin.Length.ToString(CultureInfo.InvariantCulture), .. command];
        var stdout = new CappedBuffer(maxOutputBytes, output is null ? null : bytes => output.WriteAsync(ExecOutputStream.Stdout, bytes));
        var stderr = new CappedBuffer(maxOutputBytes, output is null ? null : bytes => output.WriteAsync(ExecOutputStream.Stderr, bytes));
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            var exit = await cluster.Client.NamespacedPodExecAsync(pod, cluster.Options.Namespace, SandboxManifests.Container, argv, tty: false,
                async (input, stdoutStream, error) =>
                {
                    // Only now is the pod's exec channel open: until here a failure is a refusal (problem+json), not the stream's end.
                    if (output is not null)
                    {
                        await output.StartedAsync();
                    }
                    await input.WriteAsync(envBlock, deadline.Token);
                    await input.WriteAsync(stdin, deadline.Token);
                    await input.FlushAsync(deadline.Token);
                    input.Close();
                    await Task.WhenAll(stdout.DrainAsync(stdoutStream), stderr.DrainAsync(error));
                }, deadline.Token);
            return new PodExecResult(exit, stdout.Text(), stderr.Text(), false, stdout.Truncated || stderr.Truncated);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new PodExecResult(-1, stdout.Text(), stderr.Text(), true, stdout.Truncated || stderr.Truncated);
        }
    }

    /// <summary>Writes a file (its folders made first); the content goes on stdin, so any bytes are kept as they are.</summary>
    public async Task WriteFileAsync(string pod, string path, byte[] content, CancellationToken cancellationToken)
    {
        var result = await RunAsync(pod, ["sh", "-c", "mkdir -p -- \"$(dirname -- \"$1\")\" && cat > \"$1\"", "agentcloud-write", path], new Dictionary<string, string>(), content,
            TimeSpan.FromMinutes(1), 64 * 1024, cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new PodFileException(path, result);
        }
    }

    public async Task<string> ReadFileAsync(string pod, string path, int maxBytes, CancellationToken cancellationToken) =>
        Encoding.UTF8.GetString(await ReadBytesAsync(pod, path, maxBytes, cancellationToken));

    /// <summary>A file's bytes, carried as base64 (the exec stream is read as text); null when it holds more than <paramref name="maxBytes"/>.</summary>
    public async Task<byte[]> ReadBytesAsync(string pod, string path, int maxBytes, CancellationToken cancellationToken)
    {
        var encodedCap = (maxBytes + 2) / 3 * 4 + 8;
        var result = await RunAsync(pod, ["base64", "-w", "0", "--", path], new Dictionary<string, string>(), [], TimeSpan.FromMinutes(1), encodedCap, cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new PodFileException(path, result);
        }
        var bytes = result.Truncated ? null : Convert.FromBase64String(result.Stdout.Trim());
        return bytes is null || bytes.Length > maxBytes ? throw new PodFileTooLargeException($"{path} holds more than {maxBytes} bytes, the most a download may.") : bytes;
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

/// <summary>A file operation in a pod failed; <see cref="NotFound"/> when the path (or a folder of it) does not exist.</summary>
public sealed class PodFileException(string path, PodExecResult result)
    : KubernetesSandboxException($"{path}: {(result.TimedOut ? "timed out" : result.Stderr.Trim() is { Length: > 0 } e ? e : $"exit {result.ExitCode}")}")
{
    public bool NotFound { get; } = result.Stderr.Contains("No such file", StringComparison.Ordinal);

    /// <summary>The pod's disk (or the workspace's quota) is full.</summary>
    public bool NoSpace { get; } = result.Stderr.Contains("No space left", StringComparison.Ordinal) || result.Stderr.Contains("quota exceeded", StringComparison.OrdinalIgnoreCase);

    /// <summary>The pod did not finish the operation in time: it is busy or unreachable, not the path's fault.</summary>
    public bool TimedOut { get; } = result.TimedOut;
}

public sealed class PodFileTooLargeException(string message) : Exception(message);
