using System.Security.Cryptography;
using AgentCloud.Gateway.Extensions;
using AgentCloud.Gateway.Proxy;
using Microsoft.Extensions.Options;

namespace AgentCloud.Gateway.Docs;

/// <summary>
/// The merged public document, built at most once per cache period however many callers ask (one build at a time, the
/// others wait for it), and a failed build remembered for the retry period: an anonymous caller can make the Gateway
/// ask the services at most once per period, so the documentation is no way to flood them.
/// </summary>
public sealed class PublicDocumentCache(
    ServiceDocumentFetcher fetcher, GatewayOwnDocument own, IOptions<ApiDocsOptions> options, TimeProvider time, ILogger<PublicDocumentCache> logger)
{
    public sealed record Entry(byte[]? Json, string? ETag, string? Unavailable, DateTimeOffset Expires);

    private readonly object _gate = new();
    private Entry? _current;
    private Task<Entry>? _building;

    public Task<Entry> GetAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_current is { } current && time.GetUtcNow() < current.Expires)
            {
                return Task.FromResult(current);
            }
            // On the pool, so a build that ends at once cannot clear _building (under this same lock) before it is set.
            _building ??= Task.Run(BuildAsync, CancellationToken.None);
            return _building.WaitAsync(cancellationToken);
        }
    }

    private async Task<Entry> BuildAsync()
    {
        Entry entry;
        try
        {
            using var timeout = new CancellationTokenSource(options.Value.FetchTimeout, time);
            var (documents, unavailable) = await fetcher.FetchAllAsync(timeout.Token);
            if (documents is null)
            {
                logger.LogWarning("The public API document could not be built: the {Service} service did not answer its document", unavailable);
                entry = new(null, null, unavailable, time.GetUtcNow() + options.Value.RetryAfter);
            }
            else
            {
                var all = documents.Prepend(new(GatewayOwnDocument.ServiceName, await own.GetAsync(timeout.Token)));
                var merged = PublicDocumentMerger.Merge(all, IsPublic, PublicDocumentHeader.Create());
                var json = System.Text.Encoding.UTF8.GetBytes(merged.ToJsonString());
                entry = new(json, $"\"{Convert.ToHexStringLower(SHA256.HashData(json))[..32]}\"", null, time.GetUtcNow() + options.Value.CacheDuration);
            }
        }
        catch (Exception e)
        {
            logger.LogError(e, "The public API document could not be built");
            entry = new(null, null, "gateway", time.GetUtcNow() + options.Value.RetryAfter);
        }
        lock (_gate)
        {
            _current = entry;
            _building = null;
        }
        return entry;
    }

    /// <summary>A service's operation is public when a route takes it to that service; the Gateway's own, when listed public.</summary>
    public static bool IsPublic(string service, string path, string method) => service == GatewayOwnDocument.ServiceName
        ? GatewayOwnDocument.PublicPaths.Contains(path, StringComparer.Ordinal)
        : RoutedPaths.IsRoutedTo(service, path, method);
}
