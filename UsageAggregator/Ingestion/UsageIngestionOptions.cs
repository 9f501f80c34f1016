using System.ComponentModel.DataAnnotations;
using AgentCloud.Platform.Contracts;

namespace AgentCloud.UsageAggregator.Ingestion;

/// <summary>How the aggregator consumes <see cref="UsageEvent.StreamName"/>; section <c>UsageIngestion</c>.</summary>
public sealed class UsageIngestionOptions
{
    public const string SectionName = "UsageIngestion";

    [Required]
    public string StreamName { get; set; } = UsageEvent.StreamName;

    [Required]
    public string DeadLetterStreamName { get; set; } = "usage-events-dead";

    [Required]
    public string ConsumerGroup { get; set; } = "usage-aggregator";

    /// <summary>Prefix of this replica's consumer names; defaults to host and process id so a restart reads its own pending first.</summary>
    public string? ConsumerName { get; set; }

    /// <summary>Concurrent consumers in this replica: while one waits on Postgres the other reads and parses.</summary>
    [Range(1, 16)]
    public int Consumers { get; set; } = 2;

    [Range(1, 50_000)]
    public int BatchSize { get; set; } = 5_000;

    /// <summary>How long a delivered, unacknowledged event waits before another consumer claims it from a dead one.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan ClaimIdle { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a consumer looks for pending events of dead consumers.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan ClaimInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Pause when the stream is empty (StackExchange.Redis cannot block on XREADGROUP on a shared connection).</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:10")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// The longest pause while the stream stays empty: each empty read doubles the pause from <see cref="PollInterval"/>
    /// up to this, and an event brings it back. An idle aggregator then reads a few times a second instead of fifty
    /// (two consumers at 20 ms took a tenth of a core doing nothing); an event waits at most this long to be counted.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:10")]
    public TimeSpan IdlePollLimit { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest pause after a failure (Redis or Postgres down) before the consumer tries again.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:05:00")]
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the stream is trimmed of the events every consumer group has acknowledged (keeps Redis memory bounded).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan TrimInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>What a tenant id must look like; anything else is dead-lettered as an unknown tenant.</summary>
    [Required]
    public string TenantIdPattern { get; set; } = "^[a-z0-9][a-z0-9_-]{0,63}$";
}
