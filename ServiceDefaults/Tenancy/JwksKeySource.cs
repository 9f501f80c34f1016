using AgentCloud.Platform.Tenancy;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace AgentCloud.ServiceDefaults.Tenancy;

/// <summary>
/// The Gateway's public signing keys, fetched from its JWKS (via service discovery) and cached.
/// Refetches when a token names an unknown key id, at most once per <see cref="TenantContextOptions.MinRefreshInterval"/>.
/// </summary>
public sealed class JwksKeySource(IHttpClientFactory httpClients, IOptions<TenantContextOptions> options, TimeProvider time, ILogger<JwksKeySource> logger)
{
    public const string HttpClientName = "agentcloud-jwks";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private IReadOnlyList<SecurityKey> _keys = [];
    private DateTimeOffset _fetchedAt = DateTimeOffset.MinValue;

    public async Task<IReadOnlyList<SecurityKey>> GetKeysAsync(bool forceRefresh, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var now = time.GetUtcNow();
        var stale = now - _fetchedAt > o.MaxKeyAge;
        var mayRefresh = now - _fetchedAt > o.MinRefreshInterval;
        if (_keys.Count > 0 && !stale && !(forceRefresh && mayRefresh))
        {
            return _keys;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_keys.Count > 0 && time.GetUtcNow() - _fetchedAt <= o.MinRefreshInterval)
            {
                return _keys; // another caller refreshed while we waited
            }
            var json = o.StaticJwks ?? await FetchAsync(o.JwksUrl, cancellationToken);
            _keys = [.. new JsonWebKeySet(json).GetSigningKeys()];
            _fetchedAt = time.GetUtcNow();
            return _keys;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<string> FetchAsync(string url, CancellationToken cancellationToken)
    {
        var client = httpClients.CreateClient(HttpClientName);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(5));
        logger.LogDebug("Fetching the Gateway's JWKS from {Url}", url);
        return await client.GetStringAsync(url, cts.Token);
    }
}
