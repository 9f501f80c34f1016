using System.Text;
using System.Text.RegularExpressions;
using AgentCloud.SandboxBroker.Sandboxes;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Exec;

/// <summary>An exec request found sound: the command, the environment (template's, then the caller's), stdin and deadline.</summary>
public sealed record ValidExec(IReadOnlyList<string> Command, IReadOnlyDictionary<string, string> Environment, byte[]? Stdin, TimeSpan Timeout);

/// <summary>
/// Checks an exec request before anything runs, so whatever the kernel or the broker would refuse mid-launch is a
/// 400 with a reason instead: empty or NUL-bearing commands, bad variable names, arguments past the kernel's limits.
/// </summary>
public sealed partial class ExecRequestValidator(IOptions<SandboxBrokerOptions> options)
{
    /// <summary>MAX_ARG_STRLEN: execve refuses a longer single argument or variable (with its NUL) with E2BIG.</summary>
    public const int MaxSingleArgumentBytes = 128 * 1024;

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,127}$")]
    private static partial Regex EnvName();

    /// <exception cref="SandboxRefusal">with <see cref="RefusalKind.Invalid"/> and the reason, when the request is unsound.</exception>
    public ValidExec Validate(ExecRequest request, IReadOnlyDictionary<string, string> slotEnvironment)
    {
        var limits = options.Value;
        if (request.Command is null || request.Command.Count == 0 || string.IsNullOrEmpty(request.Command[0]))
        {
            throw Invalid("command must be a non-empty list whose first element is the program, e.g. [\"python3\", \"main.py\"].");
        }
        long bytes = 0;
        foreach (var arg in request.Command)
        {
            if (arg is null || arg.Contains('\0'))
            {
                throw Invalid("command elements must be strings without NUL characters.");
            }
            var size = Encoding.UTF8.GetByteCount(arg);
            if (size >= MaxSingleArgumentBytes)
            {
                throw Invalid($"A command element is {size} bytes; the kernel takes at most {MaxSingleArgumentBytes - 1} bytes in one. Put large input in a file or stdin.");
            }
            bytes += size + 1;
        }
        var env = new Dictionary<string, string>(slotEnvironment, StringComparer.Ordinal);
        foreach (var (name, value) in request.Env ?? [])
        {
            if (!EnvName().IsMatch(name) || value is null || value.Contains('\0'))
            {
                throw Invalid($"env: '{name}' must be a name of letters, digits and '_' (not starting with a digit) with a string value without NUL.");
            }
            var size = Encoding.UTF8.GetByteCount(name) + Encoding.UTF8.GetByteCount(value) + 2;
            if (size > MaxSingleArgumentBytes)
            {
                throw Invalid($"env: '{name}' is {size} bytes with its name; the kernel takes at most {MaxSingleArgumentBytes} bytes in one variable. Put large input in a file or stdin.");
            }
            bytes += size;
            env[name] = value;
        }
        if (bytes > limits.MaxArgumentBytes)
        {
            throw Invalid($"command and env together are {bytes} bytes; the limit is {limits.MaxArgumentBytes}. Put large input in a file or stdin.");
        }
        var stdin = request.Stdin is null ? null : Encoding.UTF8.GetBytes(request.Stdin);
        if (stdin is { Length: var n } && n > limits.MaxStdinBytes)
        {
            throw Invalid($"stdin is {n} bytes; the limit is {limits.MaxStdinBytes}. Upload large input as a file.");
        }
        var seconds = request.TimeoutSeconds ?? limits.DefaultExecTimeoutSeconds;
        if (seconds < 1 || seconds > limits.MaxExecTimeoutSeconds)
        {
            throw Invalid($"timeoutSeconds must be between 1 and {limits.MaxExecTimeoutSeconds}, not {seconds}.");
        }
        return new ValidExec(request.Command.Select(c => c!).ToList(), env, stdin, TimeSpan.FromSeconds(seconds));
    }

    private static SandboxRefusal Invalid(string detail) => new(RefusalKind.Invalid, detail);
}
