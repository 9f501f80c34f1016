using System.Text.Json;
using AgentCloud.ControlPlane.Infrastructure.Entities;
using AgentCloud.Platform.Contracts;

namespace AgentCloud.ControlPlane.Domain;

/// <summary>Composes a tenant's effective policy: the tier's defaults, then its overrides, then its own models, tools and egress if it has them.</summary>
public static class TenantPolicies
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static PolicyOverrides OverridesOf(Tenant tenant) =>
        JsonSerializer.Deserialize<PolicyOverrides>(tenant.PolicyOverrides, Json) ?? PolicyOverrides.None;

    public static string Serialize(PolicyOverrides overrides) => JsonSerializer.Serialize(overrides, Json);

    /// <summary>Needs the tenant's <see cref="Tenant.Models"/> and <see cref="Tenant.Allowlist"/> loaded.</summary>
    public static TenantPolicy Compose(Tenant tenant, ModelCatalog models)
    {
        var tier = Tiers.Defaults(tenant.Id, tenant.Tier, models);
        var policy = OverridesOf(tenant).ApplyTo(tier);
        return policy with
        {
            Models = tenant.CustomModels
                ? tenant.Models.OrderBy(m => m.ModelId, StringComparer.Ordinal).Select(m => new ModelEntitlement(m.ModelId, m.MaxContextTokens)).ToList()
                : tier.Models,
            Tools = tenant.CustomTools ? Values(tenant, AllowlistEntry.Tool) : tier.Tools,
            Egress = tenant.CustomEgress ? Values(tenant, AllowlistEntry.Egress) : tier.Egress,
        };
    }

    private static List<string> Values(Tenant tenant, string kind) =>
        tenant.Allowlist.Where(a => a.Kind == kind).Select(a => a.Value).Order(StringComparer.Ordinal).ToList();
}
