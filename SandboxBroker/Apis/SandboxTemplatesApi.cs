using AgentCloud.Platform;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AgentCloud.SandboxBroker.Apis;

/// <summary><c>GET /v1/sandboxes/templates</c>: the operator's templates, whether this host can serve each, and whether the caller's tier may pick it.</summary>
public static class SandboxTemplatesApi
{
    public static RouteGroupBuilder MapSandboxTemplates(this RouteGroupBuilder api)
    {
        api.MapGet("/templates", ListTemplates);
        return api;
    }

    /// <summary>
    /// <c>environment</c> lists variable names only; <c>layer</c> is where the read-only root layer appears inside (null
    /// for none); <c>allowed</c> is whether the caller's tier may use it; <c>available</c> and <c>reason</c> whether this host can.
    /// </summary>
    public sealed record TemplateView(
        string Name, IReadOnlyList<string> Environment, string? Layer, IReadOnlyList<string> Tiers, int? TimeoutSeconds, bool Allowed, bool Available, string? Reason);

    public static async Task<Results<Ok<TemplateView[]>, ProblemHttpResult>> ListTemplates(
        TenantContext ctx, ITenantPolicySource policies, IOptions<SandboxBrokerOptions> options, CancellationToken cancellationToken)
    {
        if (await policies.GetAsync(ctx, cancellationToken) is not { } policy)
        {
            return Problems.Forbidden("The calling tenant no longer exists.");
        }
        return TypedResults.Ok(options.Value.EffectiveTemplates().OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => new TemplateView(
            t.Key, t.Value.Environment.Keys.Order(StringComparer.Ordinal).ToList(), t.Value.RootLayer is null ? null : SandboxTemplate.LayerMountPoint,
            t.Value.Tiers, t.Value.TimeoutSeconds, t.Value.Tiers.Count == 0 || t.Value.Tiers.Contains(policy.Tier, StringComparer.Ordinal),
            t.Value.Unavailable() is null, t.Value.Unavailable())).ToArray());
    }
}
