using AgentCloud.ControlPlane.Extensions;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Streams;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentCloud.ControlPlane.Alerts;

/// <summary>
/// Reads <see cref="BudgetThresholdCrossed.StreamName"/> in a consumer group (own pending entries first, then those of a
/// dead consumer, then new ones) and records each crossing with <see cref="BudgetAlertRecorder"/>; an entry is acknowledged
/// only once recorded (or found recorded), so a crash in between reads it again. Delivery is the worker's, never this loop's.
/// </summary>
public sealed class BudgetAlertConsumer(
    IConnectionMultiplexer redis, IServiceScopeFactory scopes, IOptions<AlertOptions> options, AlertDeliverySignal signal, ILogger<BudgetAlertConsumer> logger)
    : StreamConsumerLoop(
        new StreamConsumerGroup(redis, options.Value.GroupSettings(BudgetThresholdCrossed.StreamName)),
        options.Value.PollInterval, logger)
{
    public const string DeadLetterStreamName = BudgetThresholdCrossed.StreamName + ":dead";

    /// <summary>Handles one batch; returns how many entries it held.</summary>
    public override async Task<int> ProcessNextAsync(CancellationToken ct)
    {
        var entries = await Group.ReadNextAsync(DateTimeOffset.UtcNow);
        foreach (var entry in entries)
        {
            await HandleAsync(entry, ct);
        }
        if (entries.Length > 0)
        {
            signal.Wake();
            // Recorded crossings live on in Postgres: the stream keeps only what some group has not yet acknowledged.
            await Group.TrimAcknowledgedAsync();
        }
        return entries.Length;
    }

    private async Task HandleAsync(StreamEntry entry, CancellationToken ct)
    {
        var alert = BudgetThresholdCrossed.Decode(entry[BudgetThresholdCrossed.EncodedField]);
        if (alert is null)
        {
            await DeadLetterAsync(entry, $"the entry has no '{BudgetThresholdCrossed.EncodedField}' field holding a budget alert");
        }
        else
        {
            await using var scope = scopes.CreateAsyncScope();
            var (outcome, reason) = await scope.ServiceProvider.GetRequiredService<BudgetAlertRecorder>().RecordAsync(alert, ct);
            if (outcome == BudgetAlertOutcome.Refused)
            {
                await DeadLetterAsync(entry, reason ?? "refused");
            }
            else if (outcome == BudgetAlertOutcome.AlreadyRecorded)
            {
                logger.LogInformation("Budget alert {AlertId} was already recorded; the repeat is ignored", alert.AlertId);
            }
        }
        await Group.AcknowledgeAsync(entry.Id);
    }

    private async Task DeadLetterAsync(StreamEntry entry, string reason)
    {
        logger.LogWarning("Budget alert entry {StreamId} refused: {Reason}", entry.Id, reason);
        await Group.DeadLetterAsync(DeadLetterStreamName, entry, new NameValueEntry("reason", reason));
    }
}
