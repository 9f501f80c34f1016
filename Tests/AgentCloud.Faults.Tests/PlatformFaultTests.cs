using AgentCloud.Faults.Harness;
using Xunit.Abstractions;

namespace AgentCloud.Faults.Tests;

/// <summary>
/// Each fault under steady traffic of a fail-open (pro) and a fail-closed (free) tenant. Every call is answered within
/// 4 s (<see cref="SteadyTraffic.AnswerDeadline"/>), served or refused with 503/429 and Retry-After (never another 5xx); once the pipeline settles every served
/// call is billed exactly once and reconciliation finds no drift; a revoked key is refused within 1 s.
/// </summary>
public sealed class PlatformFaultTests(FaultPlatformFixture fixture, ITestOutputHelper output) : IClassFixture<FaultPlatformFixture>
{
    private static readonly TimeSpan Hold = TimeSpan.FromSeconds(3);
    private const string BrokerKilled = "sandbox-broker replica killed, restarted";

    public static TheoryData<string> Faults => new(PlatformFault.All(Hold).Select(f => f.Name).Where(n => n != BrokerKilled));

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task Under_traffic_every_call_is_served_or_refused_cleanly_and_billed_once(string faultName)
    {
        var result = await RunAsync(faultName);

        AssertAnsweredCleanly(result);
        Assert.True(result.Usage.Lost == 0 && result.Usage.Doubled == 0, $"lost {result.Usage.Lost}, doubled {result.Usage.Doubled}:\n{string.Join('\n', result.Usage.Lines)}");
    }

    /// <summary>
    /// A broker copy killed mid-traffic: calls are still answered cleanly (the other copy serves its own sandboxes; one the
    /// dead copy held is 503 while its owner is silent, then 410 sandbox-lost, and a new one is made), inference is billed
    /// exactly once, and the leases live at the crash are billed once (the restarted copy's lease journal, or a survivor).
    /// </summary>
    [Fact]
    public async Task Killing_the_broker_under_traffic_answers_every_call_cleanly_and_bills_every_lease_and_call_once()
    {
        var result = await RunAsync(BrokerKilled);

        AssertAnsweredCleanly(result);
        Assert.True(result.Usage.Lost == 0 && result.Usage.Doubled == 0, $"lost {result.Usage.Lost}, doubled {result.Usage.Doubled}:\n{string.Join('\n', result.Usage.Lines)}");
    }

    private async Task<FaultResult> RunAsync(string faultName)
    {
        var fault = PlatformFault.All(Hold).Single(f => f.Name == faultName);
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var result = await new FaultRunner(fixture.Platform).RunAsync(fault, deadline.Token);
        output.WriteLine(FaultResult.TableHeader);
        output.WriteLine(result.TableRow);
        foreach (var line in result.Usage.Lines.Select(l => l.ToString()).Concat(result.Timeline))
        {
            output.WriteLine(line);
        }
        return result;
    }

    private static void AssertAnsweredCleanly(FaultResult result)
    {
        Assert.True(result.Count(Verdict.Served) > 0, "no call was served");
        Assert.True(!result.Failures.Any(), $"calls that broke the promise:\n{string.Join('\n', result.Failures.Take(20))}");
        Assert.True(result.Recovery is not null, "not every operation was served again after the fault was undone");
        Assert.Empty(result.Drift);
        Assert.True(result.Revocation <= RevocationProbe.Promise, $"a revoked key was refused after {result.Revocation?.TotalMilliseconds.ToString("F0", System.Globalization.CultureInfo.InvariantCulture) ?? "more than 5000"} ms");
    }
}
