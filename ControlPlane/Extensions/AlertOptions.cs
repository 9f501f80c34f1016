using System.ComponentModel.DataAnnotations;
using AgentCloud.Platform.Streams;

namespace AgentCloud.ControlPlane.Extensions;

/// <summary>How budget alerts are read from their stream and delivered to tenants' webhooks; section <c>ControlPlane:Alerts</c>.</summary>
public sealed class AlertOptions : StreamConsumerOptions
{
    public const string SectionName = "ControlPlane:Alerts";

    public AlertOptions()
    {
        ConsumerGroup = "controlplane-alerts";
        ConsumerName = StreamConsumerGroup.ProcessConsumerName;
    }

    /// <summary>
    /// Lets a webhook point at a loopback address over plain http (a receiver on this host: tests, the local demo). Unset,
    /// it is on only in the Development environment; every other private, link-local or internal address is always refused.
    /// </summary>
    public bool? AllowLoopbackReceivers { get; set; }

    /// <summary>Attempts of one delivery before it is recorded as failed.</summary>
    [Range(1, 50)]
    public int MaxAttempts { get; set; } = 8;

    /// <summary>The wait before the second attempt; each further one doubles it (with jitter), up to <see cref="MaxBackoff"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(5);

    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How long a receiver has to answer one attempt (connecting included) before it counts as failed and is retried.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Deliveries attempted at once; a slow receiver holds one of these, never the stream consumer.</summary>
    [Range(1, 256)]
    public int MaxConcurrentDeliveries { get; set; } = 16;
}
