using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Streams;
using AgentCloud.UsageAggregator.Data;
using AgentCloud.UsageAggregator.Telemetry;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

namespace AgentCloud.UsageAggregator.Ingestion;

/// <summary>
/// One member of the consumer group. Each batch: validate, dead-letter the bad, write the good and their rollups
/// in one transaction, commit, then acknowledge. A crash anywhere before the acknowledgement leaves the entries
/// pending, to be read again by this consumer on restart or claimed by another; the event id makes that harmless.
/// </summary>
public sealed class UsageConsumer(
    string name,
    IConnectionMultiplexer redis,
    NpgsqlDataSource dataSource,
    UsageEventValidator validator,
    UsageMetrics metrics,
    UsageConsumerHooks hooks,
    IOptions<UsageIngestionOptions> options,
    TimeProvider time)
{
    private readonly UsageIngestionOptions _options = options.Value;
    private readonly StreamConsumerGroup _group = new(redis, new StreamConsumerGroupSettings(options.Value.StreamName, options.Value.ConsumerGroup, name)
    {
        BatchSize = options.Value.BatchSize,
        ClaimIdle = options.Value.ClaimIdle,
        ClaimInterval = options.Value.ClaimInterval,
    });

    public string Name => name;

    /// <summary>Creates the group (from the start of the stream, so nothing added before it existed is missed).</summary>
    public Task EnsureGroupAsync() => _group.EnsureAsync();

    /// <summary>Processes one batch: own pending entries first, then claimed ones of dead consumers, then new ones.</summary>
    /// <returns>How many stream entries were handled (0 when there was nothing to do).</returns>
    public async Task<int> ProcessNextAsync(CancellationToken cancellationToken)
    {
        var entries = await _group.ReadNextAsync(time.GetUtcNow());
        if (entries.Length == 0)
        {
            return 0;
        }
        await HandleAsync(entries, cancellationToken);
        return entries.Length;
    }

    /// <summary>After a failure the batch in hand stays pending; read it again before anything new.</summary>
    public void Reset() => _group.Reset();

    private async Task HandleAsync(StreamEntry[] entries, CancellationToken cancellationToken)
    {
        var good = new List<(UsageEvent Event, string StreamId)>(entries.Length);
        var seen = new HashSet<string>(entries.Length, StringComparer.Ordinal);
        var deadLetters = new List<Task>();
        foreach (var entry in entries)
        {
            var v = validator.Validate(entry);
            if (v.Event is null)
            {
                deadLetters.Add(DeadLetterAsync(entry, v.Problem!, v.ProblemKind!));
            }
            else if (seen.Add(v.Event.EventId))
            {
                good.Add((v.Event, entry.Id.ToString()));
            }
        }
        await Task.WhenAll(deadLetters);

        IReadOnlyList<RollupDelta> deltas = [];
        if (good.Count > 0)
        {
            try
            {
                deltas = await CommitAsync(good, entries, cancellationToken);
            }
            catch (PostgresException ex) when (IsRefusedData(ex) && good.Count > 1)
            {
                deltas = await CommitOneByOneAsync(good, cancellationToken);
            }
        }
        await hooks.AfterCommitAsync(name, entries);
        var committedAt = time.GetUtcNow();
        metrics.Counted(deltas, entries.Length - deadLetters.Count);
        RecordLag(entries, committedAt);

        await _group.AcknowledgeAsync(entries.Select(e => e.Id).ToArray());
        await hooks.AfterAckAsync(name, entries);
    }

    private async Task<IReadOnlyList<RollupDelta>> CommitAsync(
        IReadOnlyList<(UsageEvent Event, string StreamId)> good, IReadOnlyList<StreamEntry> entries, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await CommitOnceAsync(good, entries, cancellationToken);
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure && attempt < 5)
            {
                // The transaction was rolled back whole; running it again is safe.
            }
        }
    }

    private async Task<IReadOnlyList<RollupDelta>> CommitOnceAsync(
        IReadOnlyList<(UsageEvent Event, string StreamId)> good, IReadOnlyList<StreamEntry> entries, CancellationToken cancellationToken)
    {
        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken);
        var deltas = await UsageBatchWriter.WriteAsync(conn, tx, good, cancellationToken);
        await hooks.BeforeCommitAsync(name, entries);
        await tx.CommitAsync(cancellationToken);
        return deltas;
    }

    /// <summary>A batch Postgres refuses for its data would block the stream forever: find the culprits and dead-letter them.</summary>
    private async Task<IReadOnlyList<RollupDelta>> CommitOneByOneAsync(
        IReadOnlyList<(UsageEvent Event, string StreamId)> good, CancellationToken cancellationToken)
    {
        var deltas = new List<RollupDelta>();
        foreach (var item in good)
        {
            try
            {
                await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
                await using var tx = await conn.BeginTransactionAsync(cancellationToken);
                deltas.AddRange(await UsageBatchWriter.WriteAsync(conn, tx, [item], cancellationToken));
                await tx.CommitAsync(cancellationToken);
            }
            catch (PostgresException ex) when (IsRefusedData(ex))
            {
                var entry = new StreamEntry(item.StreamId, [.. item.Event.ToStreamFields().Select(f => new NameValueEntry(f.Key, f.Value))]);
                await DeadLetterAsync(entry, $"refused by the ledger: {ex.MessageText}", UsageEventValidator.Malformed);
            }
        }
        return deltas;
    }

    // Class 22 is "data exception": the values themselves, not the database's state, are the problem. So is a value
    // too long for an index (54000), e.g. a model and principal that together outgrow a rollup key.
    private static bool IsRefusedData(PostgresException ex) =>
        ex.SqlState.StartsWith("22", StringComparison.Ordinal) || ex.SqlState == PostgresErrorCodes.ProgramLimitExceeded;

    private async Task DeadLetterAsync(StreamEntry entry, string reason, string kind)
    {
        await _group.DeadLetterAsync(_options.DeadLetterStreamName, entry, new NameValueEntry("reason", reason), new NameValueEntry("reasonKind", kind));
        metrics.DeadLettered(kind);
    }

    private void RecordLag(StreamEntry[] entries, DateTimeOffset committedAt)
    {
        var lags = entries.Select(e => committedAt - StreamIds.Timestamp(e.Id)).ToArray();
        metrics.Lag(lags.Max(), lags);
    }
}
