using System.ComponentModel.DataAnnotations;

namespace AgentCloud.SandboxBroker.Extensions;

/// <summary>How broker replicas find each other and notice a dead one; section <c>SandboxBroker:Fleet</c>.</summary>
public sealed class FleetOptions
{
    public const string SectionName = "SandboxBroker:Fleet";

    /// <summary>The address siblings forward calls to (e.g. <c>http://10.0.0.7:8080</c>); unset: the first address Kestrel bound.</summary>
    public string? Address { get; set; }

    /// <summary>How often this broker tells the fleet it is alive.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A broker silent this long (in Redis's time) is dead: its sandboxes are lost, billed to its last heartbeat and their run
    /// keys revoked. Generous, since a loaded machine stalls a process for seconds.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.200", "00:10:00")]
    public TimeSpan HeartbeatTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many brokers may share one machine (and one sandbox root); each claims one instance and its share of the uid range.</summary>
    [Range(1, 64)]
    public int MaxInstancesPerHost { get; set; } = 4;

    /// <summary>How long a lost sandbox keeps answering 410 rather than 404.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan LostRecordTime { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How long forwarding a call to a sibling may take to connect before the caller is told to retry.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan ForwardConnectTimeout { get; set; } = TimeSpan.FromSeconds(3);
}
