using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace AgentCloud.Platform.Startup;

/// <summary>
/// Holds a service's start until its Redis connection is up, for at most <see cref="Limit"/>. Hosted services start
/// before Kestrel listens, so a restarted replica joins its proxy's rotation connected: the fault suite saw a fresh
/// Gateway copy take its first call while still connecting (no answer in 2 s, then 503s). Redis away at start is not
/// fatal: the wait ends at the limit and calls get the usual 503 with Retry-After until it is back.
/// </summary>
public sealed class RedisConnectedBeforeListening(IConnectionMultiplexer redis, ILogger<RedisConnectedBeforeListening> logger) : IHostedService
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(5);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Limit);
        try
        {
            while (!redis.IsConnected)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(25), deadline.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Redis was not connected within {Limit} of start; serving anyway (calls that need it answer 503 until it is)", Limit);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

public static class RedisConnectedBeforeListeningExtensions
{
    /// <summary>Registers the wait; call it before the service's other hosted services so it runs first.</summary>
    public static IServiceCollection AddRedisConnectedBeforeListening(this IServiceCollection services) =>
        services.AddHostedService<RedisConnectedBeforeListening>();
}
