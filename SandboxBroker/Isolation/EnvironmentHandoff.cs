using System.Security.Cryptography;
using System.Text;
using AgentCloud.SandboxBroker.Sandboxes;

namespace AgentCloud.SandboxBroker.Isolation;

/// <summary>
/// Hands a launch's environment (the run key among it) to the sandboxed process without any command line: the broker
/// writes it to a 0600 file of the sandbox's uid in the slot's folder (outside the workspace, never bound into a
/// sandbox), and the launch opens it as fd 3 and deletes it, or sources it, only after the uid switch. The programs
/// that run before the isolation is in place see only the broker's clean PATH, so nothing the tenant sets (LD_PRELOAD,
/// a PATH that shadows bwrap) reaches them.
/// </summary>
public sealed record EnvironmentHandoff(string Path, string Content, int Uid)
{
    /// <summary>Shell <c>export</c> lines, for a loader that sources them right before the tenant's command.</summary>
    public static EnvironmentHandoff ShellExports(SandboxSlot slot, IReadOnlyDictionary<string, string> environment) =>
        new(NewPath(slot), RenderExports(environment), slot.Uid);

    /// <summary>NUL-separated bubblewrap arguments (<c>--clearenv</c>, then <c>--setenv NAME VALUE</c> each), read by <c>bwrap --args 3</c>.</summary>
    public static EnvironmentHandoff BubblewrapArguments(SandboxSlot slot, IReadOnlyDictionary<string, string> environment)
    {
        var text = new StringBuilder("--clearenv\0");
        foreach (var (name, value) in environment)
        {
            CheckName(name);
            text.Append("--setenv\0").Append(name).Append('\0').Append(value).Append('\0');
        }
        return new(NewPath(slot), text.ToString(), slot.Uid);
    }

    /// <summary>Opens the file as fd 3, deletes it, and runs the rest of the command line (under the clean environment).</summary>
    public IReadOnlyList<string> Opener => ["/bin/sh", "-c", "exec 3< \"$1\" && /usr/bin/rm -f -- \"$1\" && shift && exec \"$@\"", "agentcloud-env", Path];

    /// <summary>Loads the exports, removes the file, then runs the rest; for the last step before the tenant's own command.</summary>
    public IReadOnlyList<string> Loader => ["/bin/sh", "-c", "unset PWD OLDPWD PATH; . \"$1\" || exit 126; /usr/bin/rm -f -- \"$1\"; shift; exec \"$@\"", "agentcloud-env", Path];

    /// <summary>One <c>export NAME='value'</c> a variable; names are identifiers, values single-quoted (so nothing in them is code).</summary>
    public static string RenderExports(IReadOnlyDictionary<string, string> environment)
    {
        var text = new StringBuilder();
        foreach (var (name, value) in environment)
        {
            CheckName(name);
            text.Append("export ").Append(name).Append("='").Append(value.Replace("'", "'\\''", StringComparison.Ordinal)).Append("'\n");
        }
        return text.ToString();
    }

    private static string NewPath(SandboxSlot slot) => System.IO.Path.Combine(slot.Directory, ".env-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));

    private static void CheckName(string name)
    {
        if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') || char.IsAsciiDigit(name[0]))
        {
            throw new ArgumentException($"'{name}' is not a variable name", nameof(name));
        }
    }
}
