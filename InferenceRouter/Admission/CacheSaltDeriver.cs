using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using AgentCloud.InferenceRouter.Extensions;
using Microsoft.Extensions.Options;

namespace AgentCloud.InferenceRouter.Admission;

/// <summary>
/// A tenant's KV-cache salt: HMAC-SHA256 of its tenant id under the router's secret. Stable, so a tenant still
/// reuses its own cached prefixes; unguessable, so no other tenant can share them.
/// </summary>
public sealed class CacheSaltDeriver(IOptions<InferenceRouterOptions> options)
{
    /// <summary>Tenants whose salt is remembered at once; past it the memory starts over (a salt is cheap to derive again).</summary>
    public const int RememberedTenants = 10_000;

    private readonly byte[] _secret = Encoding.UTF8.GetBytes(options.Value.CacheSaltSecret);

    // An HMAC per call cost more than the rest of placement; the salt of a tenant never changes while the secret does not.
    private readonly ConcurrentDictionary<string, string> _salts = new(StringComparer.Ordinal);

    public string ForTenant(string tenantId)
    {
        if (_salts.TryGetValue(tenantId, out var salt))
        {
            return salt;
        }
        if (_salts.Count >= RememberedTenants)
        {
            _salts.Clear();
        }
        return _salts[tenantId] = Derive(tenantId);
    }

    private string Derive(string tenantId) =>
        Base64Url(HMACSHA256.HashData(_secret, Encoding.UTF8.GetBytes("agentcloud-kv-cache:" + tenantId)));

    /// <summary>The salt of <paramref name="call"/>'s tenant, derived at most once per call.</summary>
    public string ForCall(InferenceCall call) => call.TenantSalt ??= ForTenant(call.Context.TenantId);

    /// <summary>A salt no request will ever share: the cache is off for this request.</summary>
    public static string Fresh() => Base64Url(RandomNumberGenerator.GetBytes(32));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
