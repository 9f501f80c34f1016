namespace AgentCloud.SandboxBroker.Processes;

/// <summary>
/// The small program a join enters a boundary with (source: eng/sandbox-join.c, built by eng/prereqs.sh). Joining a
/// user namespace hands the joiner the full capability bounding set in it, and nsenter switches uid without dropping
/// it; the helper drops it whole, sets no_new_privs, then switches gid and uid, so a joined process holds no capability
/// in any set. Without it joins fall back to nsenter (no effective capability, but a full bounding set), said once in the log.
/// </summary>
public static class SandboxJoinHelper
{
    public const string Path = "/usr/lib/agentcloud/sandbox-join";

    private static int Warned;

    public static bool Installed => File.Exists(Path);

    public static void WarnMissing(ILogger logger)
    {
        if (Interlocked.Exchange(ref Warned, 1) == 0)
        {
            logger.LogWarning("{Helper} is missing (eng/prereqs.sh builds it): joined processes keep a full capability bounding set", Path);
        }
    }
}
