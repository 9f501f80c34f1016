using AgentCloud.UsageAggregator.Ingestion;
using StackExchange.Redis;

namespace AgentCloud.UsageAggregator.Tests;

/// <summary>Thrown from a hook to kill a consumer at that point of a batch.</summary>
public sealed class SimulatedCrash(string where) : Exception($"simulated crash {where}");

/// <summary>Crashes the next N batches before the commit or after it (before the acknowledgement), or at random.</summary>
public sealed class CrashingHooks : UsageConsumerHooks
{
    private readonly Lock _gate = new();
    private readonly Random? _random;
    private readonly double _probability;

    public CrashingHooks(int seed = 0, double probability = 0)
    {
        _random = probability > 0 ? new Random(seed) : null;
        _probability = probability;
    }

    public int CrashBeforeCommit { get; set; }
    public int CrashAfterCommit { get; set; }
    public int Crashes { get; private set; }

    public override ValueTask BeforeCommitAsync(string consumer, IReadOnlyList<StreamEntry> batch)
    {
        MaybeCrash(before: true);
        return ValueTask.CompletedTask;
    }

    public override ValueTask AfterCommitAsync(string consumer, IReadOnlyList<StreamEntry> batch)
    {
        MaybeCrash(before: false);
        return ValueTask.CompletedTask;
    }

    private void MaybeCrash(bool before)
    {
        lock (_gate)
        {
            var crash = before ? CrashBeforeCommit > 0 : CrashAfterCommit > 0;
            if (crash)
            {
                if (before) CrashBeforeCommit--; else CrashAfterCommit--;
            }
            else if (_random is not null && _random.NextDouble() < _probability)
            {
                crash = true;
            }
            if (!crash)
            {
                return;
            }
            Crashes++;
        }
        throw new SimulatedCrash(before ? "before commit" : "after commit, before ack");
    }
}
