using System.Text.Json;
using AgentCloud.Platform.ControlEvents;
using AgentCloud.Platform.Contracts;
using StackExchange.Redis;

namespace AgentCloud.ControlPlane.Domain;

/// <summary>
/// Revokes a run's keys when the SandboxBroker announces that the run ended without a caller to speak for it (idle
/// timeout, maximum lifetime, offboarding, broker restart). An explicit delete revokes through the internal API at
/// once; this path is the backstop (replayed from the durable stream when the ControlPlane was down), and the keys' own
/// expiry is the backstop of this one.
/// </summary>
public sealed class RunEndedListener(IConnectionMultiplexer redis, IServiceScopeFactory scopes, ILogger<RunEndedListener> logger)
    : ControlEventListener(redis, logger, ControlEventSubscription.Shared(ServiceNames.ControlPlane, PlatformChannels.RunEnded))
{
    protected override async Task HandleAsync(string channel, string message, CancellationToken cancellationToken)
    {
        RunEnded? ended;
        try
        {
            ended = JsonSerializer.Deserialize<RunEnded>(message, JsonSerializerOptions.Web);
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
        await using var scope = scopes.CreateAsyncScope();
        var revoked = await scope.ServiceProvider.GetRequiredService<RunKeyService>()
            .RevokeRunAsync(ended.TenantId, ended.RunId, "platform:sandbox-broker", cancellationToken);
        logger.LogInformation("Run {RunId} of {TenantId} ended: {Count} run keys revoked", ended.RunId, ended.TenantId, revoked);
    }
}
