using System.Text.Json;
using AgentCloud.Gateway.Extensions;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentCloud.Gateway.Auth;

/// <summary>
/// Once per <see cref="GatewayOptions.RefusalAuditWindow"/>, sends what <see cref="RefusedKeyTally"/> counted as one
/// <see cref="PlatformAuditEntry.KeysRefused"/> entry on the platform-audit stream (the ControlPlane appends it to the
/// platform's trail): a flood of bad keys adds one audit row per window per Gateway, whatever its rate. Counts Redis
/// does not take are carried into the next window.
/// </summary>
public sealed class RefusedKeyAuditPublisher(
    RefusedKeyTally tally, IConnectionMultiplexer redis, IOptions<GatewayOptions> options, TimeProvider time, ILogger<RefusedKeyAuditPublisher> logger)
    : BackgroundService
{
    /// <summary>Names this replica in the entries' actor (<c>gateway:&lt;instance&gt;</c>).</summary>
    public string Instance { get; } =
        new string(Environment.MachineName.ToLowerInvariant().Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.').Take(64).ToArray())
        + "-" + Guid.NewGuid().ToString("N")[..8];

    private const int TopSources = 10;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var windowStart = time.GetUtcNow();
        using var timer = new PeriodicTimer(options.Value.RefusalAuditWindow, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                windowStart = await PublishAsync(windowStart);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        await PublishAsync(windowStart);
    }

    /// <summary>Publishes the window ending now, if anything was refused; the start of the next window.</summary>
    public async Task<DateTimeOffset> PublishAsync(DateTimeOffset windowStart)
    {
        var window = tally.Take();
        var now = time.GetUtcNow();
        if (window.Count == 0)
        {
            return now;
        }
        var data = JsonSerializer.Serialize(new
        {
            from = windowStart,
            to = now,
            count = window.Count,
            reasons = window.Reasons,
            sources = window.Sources.Count,
            topSources = window.Sources.OrderByDescending(s => s.Value).Take(TopSources).ToDictionary(s => s.Key, s => s.Value),
        }, JsonSerializerOptions.Web);
        var entry = new PlatformAuditEntry(Guid.NewGuid().ToString("N"), TenantContext.PlatformTenantId, "gateway:" + Instance, PlatformAuditEntry.KeysRefused, data);
        try
        {
            await redis.GetDatabase().StreamAddAsync(PlatformAuditEntry.StreamName, entry.ToStreamFields().Select(f => new NameValueEntry(f.Key, f.Value)).ToArray());
            return now;
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            logger.LogWarning(e, "Could not publish {Count} refused calls to the audit stream; they are carried into the next window", window.Count);
            tally.Restore(window);
            return windowStart;
        }
    }
}
