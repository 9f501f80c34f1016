using AgentCloud.Platform.Contracts;

namespace AgentCloud.ControlPlane.Domain;

/// <summary>
/// A tenant as the operator describes it: the body of <c>POST /admin/v1/tenants</c> (name and tier required)
/// and of <c>PATCH /admin/v1/tenants/{id}</c> (every field optional; given fields replace, overrides merge).
/// Omitted models, tools and egress take the tier's defaults.
/// </summary>
public sealed record TenantSpec(
    string? Name,
    string? Tier,
    string? Status,
    IReadOnlyList<ModelGrant?>? Models,
    IReadOnlyList<string?>? Tools,
    IReadOnlyList<string?>? Egress,
    IsolationOverrides? Isolation,
    LimitOverrides? Policy);

/// <summary>A model entitlement asked for; without <c>maxContextTokens</c> the model's own maximum applies.</summary>
public sealed record ModelGrant(string? Id, int? MaxContextTokens)
{
    public ModelEntitlement ToEntitlement(ModelCatalog models) => new(Id!, MaxContextTokens ?? models.MaxContextOf(Id!));
}

public static class TenantStatus
{
    public const string Active = "active";

    /// <summary>Kept with its data, but its keys resolve to nothing until it is active again.</summary>
    public const string Suspended = "suspended";

    public static bool IsKnown(string? s) => s is Active or Suspended;
}
