using AgentCloud.ControlPlane.Domain;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Streams;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentCloud.ControlPlane.Infrastructure;

/// <summary>
/// Reads <see cref="PlatformAuditEntry.StreamName"/> in a consumer group: own pending entries first (a restart), then entries
/// stale in a dead consumer's hands, then new ones. Each entry is acknowledged only after its audit row has committed
/// (or it was found already recorded); refused entries go to the dead-letter stream with the reason, then are acknowledged.
/// </summary>
public sealed class PlatformAuditConsumer(
    IConnectionMultiplexer redis, IServiceScopeFactory scopes, IOptions<PlatformAuditOptions> options, ILogger<PlatformAuditConsumer> logger)
    : StreamConsumerLoop(
        new StreamConsumerGroup(redis, options.Value.GroupSettings(PlatformAuditEntry.StreamName)),
        options.Value.PollInterval, logger)
{
    /// <summary>Handles one batch; returns how many entries it held.</summary>
    public override async Task<int> ProcessNextAsync(CancellationToken ct)
    {
        var entries = await Group.ReadNextAsync(DateTimeOffset.UtcNow);
        foreach (var entry in entries)
        {
            await HandleAsync(entry, ct);
        }
        return entries.Length;
    }

    private async Task HandleAsync(StreamEntry entry, CancellationToken ct)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in entry.Values ?? [])
        {
            fields.TryAdd(value.Name.ToString(), value.Value.ToString());
        }
        var parsed = PlatformAuditEntry.TryParse(fields, out var problem);
        if (parsed is null)
        {
            await DeadLetterAsync(entry, problem);
        }
        else
        {
            await using var scope = scopes.CreateAsyncScope();
            var outcome = await scope.ServiceProvider.GetRequiredService<PlatformAuditRecorder>().RecordAsync(parsed, ct);
            if (outcome == PlatformAuditOutcome.UnknownTenant)
            {
                await DeadLetterAsync(entry, $"tenant '{parsed.TenantId}' does not exist (or is the platform's own)");
            }
            else if (outcome == PlatformAuditOutcome.AlreadyRecorded)
            {
                logger.LogInformation("Platform audit event {EventId} was already recorded; redelivery ignored", parsed.EventId);
            }
        }
        await Group.AcknowledgeAsync(entry.Id);
    }

    private async Task DeadLetterAsync(StreamEntry entry, string reason)
    {
        logger.LogWarning("Platform audit entry {StreamId} refused: {Reason}", entry.Id, reason);
        await Group.DeadLetterAsync(PlatformAuditEntry.DeadLetterStreamName, entry, new NameValueEntry("reason", reason));
    }
}
