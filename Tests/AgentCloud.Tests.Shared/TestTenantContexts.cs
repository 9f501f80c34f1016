using System.Text.Json.Nodes;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using Microsoft.IdentityModel.Tokens;

namespace AgentCloud.Tests.Shared;

/// <summary>
/// Tenant contexts signed the way the Gateway signs them, with a test key. Give a service under test
/// <c>TenantContext:StaticJwks = TestTenantContexts.Jwks</c> and call it with <see cref="WithContext"/> or <see cref="As"/>.
/// </summary>
public static class TestTenantContexts
{
    public const string SigningSeed = "agentcloud-test-signing-seed-not-secret";

    /// <summary>A key the services do not trust: tokens signed with it are forgeries.</summary>
    public const string ForgerSeed = "someone-else-entirely-forging-contexts";

    public static ECDsaSecurityKey Key { get; } = TenantContextSigningKey.FromSeed(SigningSeed);

    public static string Jwks { get; } = JwksOf(Key);

    public static string JwksOf(params ECDsaSecurityKey[] keys)
    {
        var list = new JsonArray();
        foreach (var k in keys.Select(TenantContextSigningKey.ToPublicJwk))
        {
            list.Add(new JsonObject { ["kty"] = k.Kty, ["crv"] = k.Crv, ["x"] = k.X, ["y"] = k.Y, ["kid"] = k.Kid, ["use"] = k.Use, ["alg"] = k.Alg });
        }
        return new JsonObject { ["keys"] = list }.ToJsonString();
    }

    public static TenantContext Tenant(string tenantId, string tier = "pro", params string[] capabilities) =>
        new(tenantId, tier, $"key:{tenantId}", capabilities.Length > 0 ? capabilities : ["inference", "memory:read", "memory:write", "sandbox", "usage:read", "credentials:write"]);

    public static TenantContext Operator { get; } =
        new(TenantContext.PlatformTenantId, "platform", "operator", [TenantContext.AdminCapability]);

    public static TenantContext Gateway { get; } =
        new(TenantContext.PlatformTenantId, "platform", "gateway", [TenantContext.GatewayCapability]);

    /// <summary>A context for <paramref name="audiences"/>, by default every service (so one token serves a test of any service).</summary>
    public static string Mint(TenantContext context, TimeSpan? lifetime = null, DateTimeOffset? now = null, ECDsaSecurityKey? key = null,
        IReadOnlyCollection<string>? audiences = null) =>
        TenantContextToken.Mint(context, key ?? Key, now ?? DateTimeOffset.UtcNow, lifetime, audiences ?? ServiceNames.All);

    /// <summary>Adds the signed context header to a request.</summary>
    public static HttpRequestMessage WithContext(this HttpRequestMessage request, TenantContext context)
    {
        request.Headers.Remove(TenantContextHeaders.Context);
        request.Headers.TryAddWithoutValidation(TenantContextHeaders.Context, Mint(context));
        return request;
    }

    /// <summary>An HttpClient whose every request carries the given tenant's signed context.</summary>
    public static HttpClient As(this HttpClient client, TenantContext context)
    {
        client.DefaultRequestHeaders.Remove(TenantContextHeaders.Context);
        client.DefaultRequestHeaders.TryAddWithoutValidation(TenantContextHeaders.Context, Mint(context, TimeSpan.FromMinutes(30)));
        return client;
    }
}
