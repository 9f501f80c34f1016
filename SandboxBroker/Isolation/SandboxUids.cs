using AgentCloud.SandboxBroker.Native;

namespace AgentCloud.SandboxBroker.Isolation;

/// <summary>
/// Whether sandboxes get uids of their own. As root the broker gives each slot its own host uid (setpriv); otherwise
/// every sandbox would run under the platform's own uid, able to read what the platform's user can (its user secrets,
/// every other workspace), so the broker hands out none.
/// </summary>
public static class SandboxUids
{
    /// <summary>Null when sandboxes get their own uids here; else why not, in words for the capability answer.</summary>
    public static string? Refusal()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "sandboxes need Linux";
        }
        var uid = Libc.GetEuid();
        return uid == 0
            ? null
            : $"the broker runs as uid {uid}, not root, so every sandbox would run under the platform's own uid and could read its files " +
              "(user secrets, other workspaces); run the SandboxBroker as root, which gives each sandbox a uid of its own";
    }
}
