using System.ComponentModel.DataAnnotations;

namespace AgentCloud.UsageAggregator.Extensions;

/// <summary>How long the read APIs wait for the usage database before answering 503 with Retry-After; section <c>UsageApi</c>.</summary>
public sealed class UsageApiOptions
{
    public const string SectionName = "UsageApi";

    /// <summary>A tenant's own usage (<c>GET /v1/usage</c>).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan QueryDeadline { get; set; } = TimeSpan.FromMilliseconds(750);

    /// <summary>The operator's chargeback and reconciliation, which may scan every tenant's rollups.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan AdminQueryDeadline { get; set; } = TimeSpan.FromSeconds(5);
}
