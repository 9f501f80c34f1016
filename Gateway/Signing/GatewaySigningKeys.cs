using AgentCloud.Gateway.Extensions;
using AgentCloud.ServiceDefaults.Tenancy;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace AgentCloud.Gateway.Signing;

/// <summary>The key that signs tenant contexts now, and the public JWKS (current and rotated-out keys) services verify with.</summary>
public sealed class GatewaySigningKeys
{
    private readonly TimeProvider _time;
    private readonly TimeSpan _lifetime;

    public GatewaySigningKeys(IOptions<GatewayOptions> options, TimeProvider time)
    {
        _time = time;
        _lifetime = options.Value.ContextLifetime;
        Current = TenantContextSigningKey.FromSeed(options.Value.SigningKeySeed);
        var all = new[] { Current }.Concat(options.Value.PreviousSigningKeySeeds.Select(TenantContextSigningKey.FromSeed));
        var jwks = new JsonWebKeySet();
        foreach (var key in all)
        {
            jwks.Keys.Add(TenantContextSigningKey.ToPublicJwk(key));
        }
        PublicJwks = jwks;
    }

    public ECDsaSecurityKey Current { get; }

    public JsonWebKeySet PublicJwks { get; }

    public string Mint(TenantContext context) => TenantContextToken.Mint(context, Current, _time.GetUtcNow(), _lifetime);
}
