using System.Reflection;
using AgentCloud.Platform.Budgets;
using Microsoft.AspNetCore.Http;

namespace AgentCloud.Platform.Tenancy;

/// <summary>
/// Who is calling, as vouched for by the Gateway: the only source services may read a tenant from
/// (never the request body or query). Handlers take it as a parameter; the middleware has already
/// refused calls without a valid one. <see cref="Via"/> names the service that forwarded the caller's onward
/// context (Memory, when it embeds for the caller at the router); null when the Gateway sent the call directly.
/// <see cref="KeyTokensPerMinute"/> is the calling key's own token budget per minute, within the tenant's (0: none);
/// <see cref="ProjectId"/> the project the key belongs to and <see cref="ProjectTokensPerMinute"/> that project's budget (0: none);
/// <see cref="Budgets"/> the project's and the key's period budgets (null: none).
/// </summary>
public sealed record TenantContext(
    string TenantId,
    string Tier,
    string Principal,
    IReadOnlyList<string> Capabilities,
    string? RunId = null,
    string? Via = null,
    long KeyTokensPerMinute = 0,
    string? ProjectId = null,
    long ProjectTokensPerMinute = 0,
    PeriodBudgets? Budgets = null)
{
    /// <summary>The tenant id the Gateway uses for the platform operator (admin API calls).</summary>
    public const string PlatformTenantId = "_platform";

    /// <summary>The capability the operator context carries: the only one that may act across tenants.</summary>
    public const string AdminCapability = "platform:admin";

    /// <summary>The capability of the Gateway's own identity when it calls internal APIs.</summary>
    public const string GatewayCapability = "platform:gateway";

    public bool Has(string capability) => Capabilities.Contains(capability, StringComparer.Ordinal);

    public bool IsOperator => TenantId == PlatformTenantId && Has(AdminCapability);

    /// <summary>Minimal-API binding: the context the middleware validated for this request.</summary>
    public static ValueTask<TenantContext?> BindAsync(HttpContext context, ParameterInfo parameter) =>
        ValueTask.FromResult(context.Features.Get<TenantContext>());
}
