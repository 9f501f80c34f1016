using System.Text.Json;
using AgentCloud.Platform.Contracts;
using StackExchange.Redis;

namespace AgentCloud.ControlPlane.Domain;

/// <summary>
/// Revokes a run's keys when the SandboxBroker announces that the run ended without a caller to speak for it (idle
/// timeout, maximum lifetime, offboarding, broker restart). An explicit delete revokes through the internal API at
/// once; this path is the backstop, and the keys' own expiry is the backstop of this one.
/// </summary>
public sealed class RunEndedListener(IConnectionMultiplexer redis, IServiceScopeFactory scopes, ILogger<RunEndedListener> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var channel = await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(PlatformChannels.RunEnded));
        channel.OnMessage(async message =>
        {
            RunEnded? ended;
            try
            {
                ended = JsonSerializer.Deserialize<RunEnded>(message.Message.ToString(), JsonSerializerOptions.Web);
            }
            catch (JsonException)
            {
                ended = null;
            }
            if (ended is null || string.IsNullOrEmpty(ended.TenantId) || string.IsNullOrEmpty(ended.RunId))
            {
                logger.LogWarning("Ignored a malformed run-ended message");
                return;
            }
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var revoked = await scope.ServiceProvider.GetRequiredService<RunKeyService>()
                    .RevokeRunAsync(ended.TenantId, ended.RunId, "platform:sandbox-broker", stoppingToken);
                logger.LogInformation("Run {RunId} of {TenantId} ended: {Count} run keys revoked", ended.RunId, ended.TenantId, revoked);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Could not revoke the keys of run {RunId} of {TenantId}; they expire on their own", ended.RunId, ended.TenantId);
            }
        });
        try
        {
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
        catch (OperationCanceledException)
        {
        }
        try
        {
            await channel.UnsubscribeAsync();
        }
        catch (ObjectDisposedException)
        {
            // The Redis connection was disposed first (shutdown order).
        }
    }
}
