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
}
