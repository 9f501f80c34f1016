using System.ComponentModel.DataAnnotations;

namespace AgentCloud.InferenceRouter.Extensions;

/// <summary>How router replicas share each shared endpoint's slots through Redis (section
/// <c>InferenceRouter:Scheduler:Replicas</c>). Nothing here is on a call's path: replicas exchange state in the background.</summary>
public sealed class ReplicaShareOptions : IValidatableObject
{
    public const string SectionName = "InferenceRouter:Scheduler:Replicas";

    /// <summary>Off: every replica admits the endpoint's whole <c>MaxInFlight</c> with counters of its own (one router only).</summary>
    public bool Shared { get; set; } = true;

    /// <summary>Names this replica in Redis; empty picks host name, process id and a random suffix.</summary>
    public string ReplicaId { get; set; } = "";

    /// <summary>How often a replica reports its demand, takes its share of slots and merges the tenants' counters: one
    /// Redis script per endpoint per replica each time. A share moves between replicas within about two intervals.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>A share lasts this long past the heartbeat that granted it: a replica silent for longer is dropped and
    /// its slots go to the others; a replica that cannot reach Redis for longer falls back to a local share.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan LeaseTtl { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How long one heartbeat may wait for Redis before it counts as failed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan HeartbeatTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>With Redis away, the endpoint is split as if this many replicas (or as many as were last seen, if more)
    /// were running: each admits <c>MaxInFlight / n</c>, at least one. The default fits the two-replica topology.</summary>
    [Range(1, 1000)]
    public int ReplicasWhenRedisIsAway { get; set; } = 2;

    /// <summary>A replica's heartbeat comes at most an interval plus a timeout after the last; a lease shorter than
    /// that (with room for one more slow heartbeat) lets the others take its slots while it still admits calls.</summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (HeartbeatInterval + 2 * HeartbeatTimeout > LeaseTtl)
        {
            yield return new ValidationResult(
                $"LeaseTtl ({LeaseTtl.TotalMilliseconds:0} ms) must be at least HeartbeatInterval + 2 × HeartbeatTimeout ({(HeartbeatInterval + 2 * HeartbeatTimeout).TotalMilliseconds:0} ms): raise LeaseTtl or lower HeartbeatTimeout.",
                [nameof(LeaseTtl), nameof(HeartbeatTimeout)]);
        }
    }
}
