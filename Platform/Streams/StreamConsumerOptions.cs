using System.ComponentModel.DataAnnotations;

namespace AgentCloud.Platform.Streams;

/// <summary>The settings every stream consumer service binds from its section: its group, its name in it, and how it reads.</summary>
public abstract class StreamConsumerOptions
{
    [Required]
    public string ConsumerGroup { get; set; } = "";

    /// <summary>This replica's name in the group; its own pending entries are read again after a restart.</summary>
    [Required]
    public string ConsumerName { get; set; } = Environment.MachineName;

    [Range(1, 1000)]
    public int BatchSize { get; set; } = 50;

    /// <summary>An entry another consumer read but did not acknowledge for this long is taken over (that consumer is presumed dead).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan ClaimIdle { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Pause when there is nothing to read, and after a failure (a store away) before trying again.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>This consumer of <paramref name="stream"/>'s group, as these settings describe it.</summary>
    public StreamConsumerGroupSettings GroupSettings(string stream) =>
        new(stream, ConsumerGroup, ConsumerName) { BatchSize = BatchSize, ClaimIdle = ClaimIdle };
}
