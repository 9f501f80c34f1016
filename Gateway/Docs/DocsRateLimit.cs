using System.Globalization;
using System.Threading.RateLimiting;
using AgentCloud.Gateway.Auth;
using AgentCloud.Gateway.Extensions;
using AgentCloud.Platform;
using Microsoft.Extensions.Options;

namespace AgentCloud.Gateway.Docs;

/// <summary>
/// The documentation answers without a key, so it is limited per client address (as the failed-call limit is) rather
/// than per tenant: <see cref="ApiDocsOptions.RequestsPerMinute"/> in a fixed one-minute window, then 429 problem+json.
/// </summary>
public static class DocsRateLimit
{
    public const string PolicyName = "api-docs";

    public static void AddDocsRateLimit(this IServiceCollection services) => services.AddRateLimiter(o =>
    {
        o.AddPolicy(PolicyName, http => RateLimitPartition.GetFixedWindowLimiter(ClientAddress.Of(http), _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = http.RequestServices.GetRequiredService<IOptions<ApiDocsOptions>>().Value.RequestsPerMinute,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
        }));
        o.OnRejected = async (context, _) =>
        {
            var wait = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)) : 60;
            context.HttpContext.Response.Headers.RetryAfter = wait.ToString(CultureInfo.InvariantCulture);
            // One rejection handler serves every per-address policy: the console's and the documentation's.
            var (type, what) = Console.ConsoleRoute.IsConsolePath(context.HttpContext.Request.Path)
                ? ("console-rate-limited", "the console")
                : ("api-docs-rate-limited", "the API documentation");
            await Problems.Create(StatusCodes.Status429TooManyRequests, type, "Too many requests",
                $"Too many requests for {what} from this address; retry in {wait.ToString(CultureInfo.InvariantCulture)} s.")
                .ExecuteAsync(context.HttpContext);
        };
    });
}
