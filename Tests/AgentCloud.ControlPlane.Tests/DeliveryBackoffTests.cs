using AgentCloud.ControlPlane.Alerts;
using AgentCloud.ControlPlane.Extensions;

namespace AgentCloud.ControlPlane.Tests;

/// <summary>The wait between alert delivery attempts: doubling from the initial backoff, capped, with up to half taken off at random.</summary>
public sealed class DeliveryBackoffTests
{
    private static readonly AlertOptions Options = new() { InitialBackoff = TimeSpan.FromSeconds(5), MaxBackoff = TimeSpan.FromMinutes(1) };

    [Theory]
    [InlineData(1, 5)]
    [InlineData(2, 10)]
    [InlineData(4, 40)]
    [InlineData(5, 60)]
    [InlineData(40, 60)]
    public void The_wait_after_n_attempts_lies_between_half_and_all_of_the_capped_doubling(int attempts, int fullSeconds)
    {
        var random = new Random(attempts);
        var waits = Enumerable.Range(0, 200).Select(_ => DeliveryBackoff.After(attempts, Options, random)).ToList();

        Assert.All(waits, w => Assert.InRange(w.TotalSeconds, fullSeconds / 2.0, fullSeconds));
        // Jitter: receivers that failed together are not all retried at the same moment.
        Assert.True(waits.Distinct().Count() > 100);
    }
}
