using StackExchange.Redis;

namespace AgentCloud.UsageAggregator.Ingestion;

/// <summary>
/// Points in a batch's life where tests inject crashes (throw from a hook: the consumer dies there) and the
/// benchmark measures lag. The default does nothing; replace the singleton to observe or interfere.
/// </summary>
public class UsageConsumerHooks
{
    /// <summary>After the batch is written, before the transaction commits.</summary>
    public virtual ValueTask BeforeCommitAsync(string consumer, IReadOnlyList<StreamEntry> batch) => ValueTask.CompletedTask;

    /// <summary>After the commit, before the entries are acknowledged.</summary>
    public virtual ValueTask AfterCommitAsync(string consumer, IReadOnlyList<StreamEntry> batch) => ValueTask.CompletedTask;

    /// <summary>After the entries are acknowledged.</summary>
    public virtual ValueTask AfterAckAsync(string consumer, IReadOnlyList<StreamEntry> batch) => ValueTask.CompletedTask;
}
