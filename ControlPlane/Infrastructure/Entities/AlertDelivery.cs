namespace AgentCloud.ControlPlane.Infrastructure.Entities;

/// <summary>
/// One budget alert and what became of its webhook delivery. The alert id is the primary key, so a crossing the stream
/// carries twice is recorded (and audited, and delivered) once; the row survives restarts, so retries resume after one.
/// </summary>
public sealed class AlertDelivery
{
    /// <summary>Paging order of the deliveries list.</summary>
    public long Sequence { get; set; }
    public required string AlertId { get; set; }
    public required string TenantId { get; set; }

    /// <summary>The exact JSON body every attempt posts.</summary>
    public required string Body { get; set; }

    /// <summary>One of <see cref="AlertDeliveryStates"/>.</summary>
    public required string State { get; set; }
    public int Attempts { get; set; }

    /// <summary>When the next attempt is due; while an attempt is under way, when it counts as lost (a crashed replica) and is made again.</summary>
    public DateTimeOffset NextAttemptAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }

    /// <summary>The receiver's status code of the last attempt, if it answered.</summary>
    public int? LastStatus { get; set; }

    /// <summary>Why the last attempt did not succeed (never a secret, never the receiver's body).</summary>
    public string? LastError { get; set; }
}

public static class AlertDeliveryStates
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    public const string Failed = "failed";

    /// <summary>The tenant had no webhook when the alert came: it is in the audit trail only.</summary>
    public const string NoWebhook = "no-webhook";
}
