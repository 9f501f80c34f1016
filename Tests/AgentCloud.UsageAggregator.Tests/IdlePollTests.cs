using AgentCloud.UsageAggregator.Ingestion;

namespace AgentCloud.UsageAggregator.Tests;

/// <summary>The consumers' pause while the stream is empty: doubling from the poll interval, capped at the idle limit.</summary>
public sealed class IdlePollTests
{
    [Fact]
    public void Empty_reads_double_the_pause_up_to_the_idle_limit()
    {
        var options = new UsageIngestionOptions { PollInterval = TimeSpan.FromMilliseconds(20), IdlePollLimit = TimeSpan.FromMilliseconds(200) };
        var pauses = new List<TimeSpan>();
        var pause = options.PollInterval;
        for (var i = 0; i < 6; i++)
        {
            pause = UsageIngestionWorker.NextIdlePause(pause, options);
            pauses.Add(pause);
        }

        Assert.Equal([40, 80, 160, 200, 200, 200], pauses.Select(p => p.TotalMilliseconds));
    }

    [Fact]
    public void A_limit_below_the_poll_interval_keeps_the_poll_interval()
    {
        var options = new UsageIngestionOptions { PollInterval = TimeSpan.FromMilliseconds(50), IdlePollLimit = TimeSpan.FromMilliseconds(10) };

        Assert.Equal(options.PollInterval, UsageIngestionWorker.NextIdlePause(options.PollInterval, options));
    }
}
