using System.Collections.Concurrent;
using AgentCloud.Gateway.Extensions;
using AgentCloud.Platform.Tenancy;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace AgentCloud.Gateway.Signing;

/// <summary>
/// The key that signs tenant contexts now, and the public JWKS (current and rotated-out keys) services verify with.
/// A context minted for the same caller within the reuse window is handed out again instead of signing anew: an ES256
/// signature costs more than the rest of a proxied call, and a reused token still has most of its lifetime left.
/// </summary>
public sealed class GatewaySigningKeys
{
    private const int MaxReusable = 10_000;
    private readonly TimeProvider _time;
    private readonly TimeSpan _lifetime;
    private readonly TimeSpan _reuseWindow;
    private readonly ConcurrentDictionary<(TenantContext Context, string Audience), (string Token, DateTimeOffset MintedAt)> _recent = new();

    public GatewaySigningKeys(IOptions<GatewayOptions> options, TimeProvider time)
    {
        _time = time;
        _lifetime = options.Value.ContextLifetime;
        _reuseWindow = options.Value.ContextReuseWindow < _lifetime / 2 ? options.Value.ContextReuseWindow : _lifetime / 2;
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

    /// <summary>
    /// A signed context for the caller that only the service <paramref name="audience"/> accepts, with at least the
    /// lifetime minus the reuse window left.
    /// </summary>
    public string Mint(TenantContext context, string audience)
    {
        var now = _time.GetUtcNow();
        if (_recent.TryGetValue((context, audience), out var recent) && now - recent.MintedAt < _reuseWindow && now >= recent.MintedAt)
        {
            return recent.Token;
        }
        var token = TenantContextToken.Mint(context, Current, now, _lifetime, [audience]);
        if (_reuseWindow > TimeSpan.Zero)
        {
            if (_recent.Count >= MaxReusable)
            {
                _recent.Clear();
            }
            _recent[(context, audience)] = (token, now);
        }
        return token;
    }
}
