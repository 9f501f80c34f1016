namespace AgentCloud.SandboxBroker.Isolation.Gvisor;

/// <summary>
/// The shim that lets <c>ls</c> and <c>stat</c> work inside Debian 12's gVisor, which refuses the AT_NO_AUTOMOUNT flag
/// coreutils passes to statx (source: eng/gvisor/statx-compat.c, built by eng/prereqs.sh). Preloaded ahead of whatever
/// the tenant preloads; where it is missing, execs run without it and those two tools fail as before.
/// </summary>
public static class StatxCompat
{
    public const string LibraryPath = "/usr/lib/agentcloud/gvisor-statx-compat.so";

    public static bool Present => File.Exists(LibraryPath);

    /// <summary>Adds the shim to an exec's <c>KEY=value</c> environment.</summary>
    public static void Apply(List<string> env)
    {
        if (!Present)
        {
            return;
        }
        const string Prefix = "LD_PRELOAD=";
        var index = env.FindIndex(e => e.StartsWith(Prefix, StringComparison.Ordinal));
        if (index < 0)
        {
            env.Add(Prefix + LibraryPath);
        }
        else
        {
            env[index] = Prefix + LibraryPath + ":" + env[index][Prefix.Length..];
        }
    }
}
