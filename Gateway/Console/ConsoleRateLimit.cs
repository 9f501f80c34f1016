using System.Threading.RateLimiting;
using AgentCloud.Gateway.Auth;
using AgentCloud.Gateway.Extensions;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace AgentCloud.Gateway.Console;

/// <summary>
/// The console answers before anyone is signed in, so, as the documentation, it is limited per client address:
/// <see cref="ConsoleRouteOptions.RequestsPerMinute"/> (pages, assets and form posts) in a fixed one-minute window, then 429.
/// </summary>
public static class ConsoleRateLimit
{
    public const string PolicyName = "console";

    public static void AddConsoleRateLimit(this IServiceCollection services) =>
        services.Configure<RateLimiterOptions>(o => o.AddPolicy(PolicyName, http => RateLimitPartition.GetFixedWindowLimiter(ClientAddress.Of(http), _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = http.RequestServices.GetRequiredService<IOptions<ConsoleRouteOptions>>().Value.RequestsPerMinute,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
        })));
}
