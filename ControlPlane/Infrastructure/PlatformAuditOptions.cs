using System.ComponentModel.DataAnnotations;

namespace AgentCloud.ControlPlane.Infrastructure;

/// <summary>How the ControlPlane reads the platform audit stream; section <c>ControlPlane:PlatformAudit</c>.</summary>
public sealed class PlatformAuditOptions
{
    public const string SectionName = "ControlPlane:PlatformAudit";

    [Required]
    public string ConsumerGroup { get; set; } = "controlplane";

    /// <summary>This replica's name in the group; its own pending entries are read again after a restart.</summary>
    [Required]
    public string ConsumerName { get; set; } = Environment.MachineName;

    [Range(1, 1000)]
    public int BatchSize { get; set; } = 50;

    /// <summary>An entry another consumer read but did not acknowledge for this long is taken over (that consumer is presumed dead).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan ClaimIdle { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Pause when the stream is empty, and after a failure (Redis or Postgres away) before trying again.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);
}
