namespace AgentCloud.ControlPlane.Infrastructure.Entities;

/// <summary>An API key: only its lookup prefix and a hash of the whole key are kept, never the key.</summary>
public sealed class ApiKey
{
    public required string Id { get; set; }
    public required string TenantId { get; set; }
    public required string Name { get; set; }
    public required string Prefix { get; set; }
    public required byte[] Hash { get; set; }

    /// <summary>The capabilities granted to this key's principal; they do not pass to anything else.</summary>
    public List<string> Capabilities { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }

    /// <summary>The lane (<c>interactive</c> or <c>batch</c>) of this key's inference calls when a call does not name one.</summary>
    public string? DefaultLane { get; set; }

    /// <summary>Set on a run key: the agent run (sandbox) it was minted for; the key dies with the run.</summary>
    public string? RunId { get; set; }

    /// <summary>After this instant the key is refused, revoked or not (run keys always have one).</summary>
    public DateTimeOffset? ExpiresAt { get; set; }

    /// <summary>After a rotation: the hash of the secret it replaced, still accepted until <see cref="PreviousHashValidUntil"/>.</summary>
    public byte[]? PreviousHash { get; set; }
    public DateTimeOffset? PreviousHashValidUntil { get; set; }

    /// <summary>This key's own requests per minute, within the tenant's (null: only the tenant's limit applies).</summary>
    public int? RequestsPerMinute { get; set; }

    /// <summary>This key's own weighted tokens per minute, within the tenant's (null: only the tenant's budget applies).</summary>
    public long? TokensPerMinute { get; set; }

    /// <summary>This key's own US dollars per <see cref="DollarBudgetPeriod"/> at the models' prices (null: none).</summary>
    public decimal? DollarBudget { get; set; }

    /// <summary><c>day</c>, <c>week</c> or <c>month</c> (UTC): when the dollar budget starts again from zero.</summary>
    public string? DollarBudgetPeriod { get; set; }

    /// <summary>
    /// The key whose dollar budget this one draws on (a run key: the key that asked for its sandbox, so a run never
    /// escapes its creator's budget); null: its own.
    /// </summary>
    public string? DollarBudgetKeyId { get; set; }

    /// <summary>The project whose budget this key also draws on (null: only the tenant's); a run key takes its creator's.</summary>
    public string? ProjectId { get; set; }

    /// <summary>When the secret was last rotated (null: never).</summary>
    public DateTimeOffset? RotatedAt { get; set; }
}
