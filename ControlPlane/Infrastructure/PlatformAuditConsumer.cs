using AgentCloud.ControlPlane.Domain;
using AgentCloud.Platform.Contracts;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentCloud.ControlPlane.Infrastructure;

/// <summary>
/// Reads <see cref="PlatformAuditEntry.StreamName"/> in a consumer group: own pending entries first (a restart), then entries
/// stale in a dead consumer's hands, then new ones. Each entry is acknowledged only after its audit row has committed
/// (or it was found already recorded); refused entries go to the dead-letter stream with the reason, then are acknowledged.
/// </summary>
public sealed class PlatformAuditConsumer(
    IConnectionMultiplexer redis, IServiceScopeFactory scopes, IOptions<PlatformAuditOptions> options, ILogger<PlatformAuditConsumer> logger) : BackgroundService
{
    private PlatformAuditOptions Options => options.Value;
    private bool _readOwnPending = true;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var groupReady = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!groupReady)
                {
                    await EnsureGroupAsync();
                    groupReady = true;
                }
                if (await ProcessNextAsync(stoppingToken) == 0)
                {
                    await Task.Delay(Options.PollInterval, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            // Redis or Postgres away, or anything else unexpected: the entries stay pending and are read again.
            catch (Exception e)
            {
                logger.LogError(e, "Reading the platform audit stream failed; retrying");
                _readOwnPending = true;
                await Task.Delay(Options.PollInterval, stoppingToken);
            }
        }
    }

    private async Task EnsureGroupAsync()
    {
        try
        {
            await redis.GetDatabase().StreamCreateConsumerGroupAsync(PlatformAuditEntry.StreamName, Options.ConsumerGroup, StreamPosition.Beginning, createStream: true);
        }
        catch (RedisServerException e) when (e.Message.Contains("BUSYGROUP", StringComparison.Ordinal))
        {
            // Made by another replica or an earlier run.
        }
    }

    /// <summary>Handles one batch; returns how many entries it held.</summary>
    public async Task<int> ProcessNextAsync(CancellationToken ct)
    {
        var db = redis.GetDatabase();
        var entries = Array.Empty<StreamEntry>();
        if (_readOwnPending)
        {
            entries = await db.StreamReadGroupAsync(PlatformAuditEntry.StreamName, Options.ConsumerGroup, Options.ConsumerName, StreamPosition.Beginning, Options.BatchSize);
            _readOwnPending = entries.Length > 0;
        }
        if (entries.Length == 0)
        {
            var claimed = await db.StreamAutoClaimAsync(PlatformAuditEntry.StreamName, Options.ConsumerGroup, Options.ConsumerName,
                (long)Options.ClaimIdle.TotalMilliseconds, "0-0", Options.BatchSize);
            if (claimed.DeletedIds is { Length: > 0 } deleted)
            {
                await db.StreamAcknowledgeAsync(PlatformAuditEntry.StreamName, Options.ConsumerGroup, deleted);
            }
            entries = claimed.ClaimedEntries ?? [];
        }
        if (entries.Length == 0)
        {
            entries = await db.StreamReadGroupAsync(PlatformAuditEntry.StreamName, Options.ConsumerGroup, Options.ConsumerName, StreamPosition.NewMessages, Options.BatchSize);
        }
        foreach (var entry in entries)
        {
            await HandleAsync(db, entry, ct);
        }
        return entries.Length;
    }

    private async Task HandleAsync(IDatabase db, StreamEntry entry, CancellationToken ct)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in entry.Values ?? [])
        {
            fields.TryAdd(value.Name.ToString(), value.Value.ToString());
        }
        var parsed = PlatformAuditEntry.TryParse(fields, out var problem);
        if (parsed is null)
        {
            await DeadLetterAsync(db, entry, problem);
        }
        else
        {
            await using var scope = scopes.CreateAsyncScope();
            var outcome = await scope.ServiceProvider.GetRequiredService<PlatformAuditRecorder>().RecordAsync(parsed, ct);
            if (outcome == PlatformAuditOutcome.UnknownTenant)
            {
                await DeadLetterAsync(db, entry, $"tenant '{parsed.TenantId}' does not exist (or is the platform's own)");
            }
            else if (outcome == PlatformAuditOutcome.AlreadyRecorded)
            {
                logger.LogInformation("Platform audit event {EventId} was already recorded; redelivery ignored", parsed.EventId);
            }
        }
        await db.StreamAcknowledgeAsync(PlatformAuditEntry.StreamName, Options.ConsumerGroup, entry.Id);
    }

    private async Task DeadLetterAsync(IDatabase db, StreamEntry entry, string reason)
    {
        logger.LogWarning("Platform audit entry {StreamId} refused: {Reason}", entry.Id, reason);
        var fields = new List<NameValueEntry> { new("reason", reason), new("sourceId", entry.Id) };
        fields.AddRange((entry.Values ?? []).Where(v => v.Name != "reason" && v.Name != "sourceId"));
        await db.StreamAddAsync(PlatformAuditEntry.DeadLetterStreamName, fields.ToArray());
    }
}
