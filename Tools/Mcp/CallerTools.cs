using System.Text.Json;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using AgentCloud.Tools.Catalog;

namespace AgentCloud.Tools.Mcp;

/// <summary>The caller of the current HTTP request as the tools see it: its validated context, the token to forward, its policy.</summary>
public sealed class CallerTools(IHttpContextAccessor httpContext, ITenantPolicySource policies)
{
    public HttpContext Http => httpContext.HttpContext ?? throw new InvalidOperationException("MCP handlers run inside an HTTP request.");

    public TenantContext Caller => Http.Features.Get<TenantContext>() ?? throw new InvalidOperationException("The tenant-context middleware did not run.");

    public ToolInvocation Invocation(IReadOnlyDictionary<string, JsonElement>? arguments) =>
        new(Caller, Http.Request.Headers[TenantContextHeaders.Context].ToString(), arguments ?? new Dictionary<string, JsonElement>(),
            Http.Request.Headers
                .Where(h => h.Key.StartsWith(TenantContextHeaders.OnwardPrefix, StringComparison.OrdinalIgnoreCase))
                .ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()));

    /// <summary>The caller's tenant policy; null when the tenant no longer exists.</summary>
    public Task<TenantPolicy?> PolicyAsync(CancellationToken cancellationToken) => policies.GetAsync(Caller, cancellationToken);
}
