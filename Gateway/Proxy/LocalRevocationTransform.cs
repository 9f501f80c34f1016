using AgentCloud.Platform.Contracts;
using System.Text.RegularExpressions;
using AgentCloud.Gateway.Auth;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace AgentCloud.Gateway.Proxy;

/// <summary>
/// When a revocation passes through this Gateway, the key is dropped from this replica's cache before the answer goes
/// back, so "refused from then on" holds here without waiting for the pub/sub message (which still tells every other
/// replica): the operator's key DELETE answered 204, or a service naming keys it revoked in <see cref="RevokedKeysHeader"/>
/// (the SandboxBroker, for a deleted sandbox's run key). That header never reaches the client.
/// </summary>
public static partial class LocalRevocationTransform
{
    public const string RevokedKeysHeader = PlatformHeaders.RevokedKeys;

    [GeneratedRegex("^/admin/v1/tenants/[^/]+/keys/(?<keyId>[^/]+)$")]
    private static partial Regex KeyPath();

    public static void Apply(TransformBuilderContext builder)
    {
        builder.AddResponseTransform(transform =>
        {
            var request = transform.HttpContext.Request;
            if (HttpMethods.IsDelete(request.Method)
                && transform.ProxyResponse?.StatusCode == System.Net.HttpStatusCode.NoContent
                && KeyPath().Match(request.Path.Value ?? "") is { Success: true } match)
            {
                transform.HttpContext.RequestServices.GetRequiredService<CachedKeyResolver>().Forget(match.Groups["keyId"].Value);
            }
            if (transform.ProxyResponse?.Headers.TryGetValues(RevokedKeysHeader, out var revoked) == true)
            {
                var cache = transform.HttpContext.RequestServices.GetRequiredService<CachedKeyResolver>();
                foreach (var keyId in revoked.SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
                {
                    cache.Forget(keyId);
                }
            }
            transform.HttpContext.Response.Headers.Remove(RevokedKeysHeader);
            return ValueTask.CompletedTask;
        });
    }
}
