using AgentCloud.Platform.Tenancy;
using System.ComponentModel.DataAnnotations;

namespace AgentCloud.ServiceDefaults.Tenancy;

/// <summary>Where a service finds the Gateway's public keys.</summary>
public sealed class TenantContextOptions
{
    public const string SectionName = "TenantContext";

    /// <summary>The Gateway's JWKS, resolved through service discovery.</summary>
    [Required]
    public string JwksUrl { get; set; } = "http://gateway/.well-known/jwks.json";

    /// <summary>
    /// The name this service accepts contexts for (the token's audience); empty: the service's own name, from its
    /// application name (<c>AgentCloud.Memory</c> is <c>memory</c>) or else <c>OTEL_SERVICE_NAME</c>.
    /// </summary>
    public string? Audience { get; set; }

    /// <summary>A JWKS document given inline instead of fetched (tests of a single service).</summary>
    public string? StaticJwks { get; set; }

    /// <summary>How often an unknown key id may trigger a refetch (keeps forged kids from hammering the Gateway).</summary>
    public TimeSpan MinRefreshInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Keys are refetched at least this often so a rotated-out key stops being accepted.</summary>
    public TimeSpan MaxKeyAge { get; set; } = TimeSpan.FromMinutes(10);
}
