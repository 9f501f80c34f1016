using System.ComponentModel.DataAnnotations;

namespace AgentCloud.Platform.Outbox;

/// <summary>Where a service spools stream entries Redis would not take, and how it retries them; section <c>Outbox</c>.</summary>
public sealed class StreamOutboxOptions
{
    public const string SectionName = "Outbox";

    /// <summary>
    /// Folder of the spool files; it must survive a restart of the service (the spool is replayed at start). Replicas may
    /// share it: each spools in a <c>replica-N</c> folder of its own under it (see <see cref="SpoolSlot"/>). Unset:
    /// <c>/var/lib/agentcloud/outbox/&lt;service&gt;</c> as root, else <c>~/.local/state/agentcloud/outbox/&lt;service&gt;</c>.
    /// </summary>
    public string? SpoolDirectory { get; set; }

    /// <summary>How often spooled entries are retried.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long an add waits for Redis before the entry is spooled instead, so no request waits on a paused Redis.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:10")]
    public TimeSpan AddDeadline { get; set; } = TimeSpan.FromMilliseconds(250);

    public static string DefaultSpoolDirectory(string serviceName)
    {
        var state = Environment.IsPrivilegedProcess
            ? "/var/lib/agentcloud"
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state", "agentcloud");
        return Path.Combine(state, "outbox", serviceName);
    }
}
