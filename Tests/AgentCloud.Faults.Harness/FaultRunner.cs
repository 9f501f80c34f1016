namespace AgentCloud.Faults.Harness;

/// <summary>
/// Runs one fault under steady traffic from fresh tenants (a fail-open pro and a fail-closed free one, so each fault's
/// usage is its own): a calm start, the fault, its undo, traffic until every tenant's every operation is served
/// again (the recovery time), then the usage record settles and is checked, and a key is revoked.
/// </summary>
public sealed class FaultRunner(FaultPlatform platform)
{
    public static readonly TimeSpan Calm = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan RecoveryDeadline = TimeSpan.FromSeconds(60);
    public const int Callers = 3;
    public static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(40);
    public static readonly TimeSpan WarmUpRound = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan WarmUpLimit = TimeSpan.FromSeconds(90);
    public static readonly TimeSpan SteadyCall = TimeSpan.FromMilliseconds(500);
    private const int MinimumRoundCalls = 20;

    // Enough requests and tokens that the free tier's own limits do not hide the fault; its fail mode stays closed.
    private static readonly object FreePolicy = new { requestsPerMinute = 6000, requestBurst = 600, tokensPerMinute = 2_000_000 };

    /// <summary>
    /// The same traffic without a fault, until the platform is past its start-up work: the first minute of a fresh
    /// platform pays for JIT (and its tier-up) in every service, connection set-up and the broker filling its warm
    /// pools, which on two cores made calls of the first fault take over a second before any fault was done. Warm means a
    /// round of <see cref="WarmUpRound"/> in which every call was served within <see cref="SteadyCall"/>; after
    /// <see cref="WarmUpLimit"/> the suite goes on regardless (its own verdicts then say what is slow).
    /// </summary>
    public async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        TrafficTenant[] tenants = [await platform.NewTenantAsync("pro", null, cancellationToken), await platform.NewTenantAsync("free", FreePolicy, cancellationToken)];
        await using var traffic = new SteadyTraffic(platform, tenants, Pause);
        await traffic.StartAsync(Callers, cancellationToken);
        var limit = DateTimeOffset.UtcNow + WarmUpLimit;
        while (DateTimeOffset.UtcNow < limit)
        {
            var roundStarted = DateTimeOffset.UtcNow;
            await Task.Delay(WarmUpRound, cancellationToken);
            var round = traffic.Outcomes.Where(o => o.EndedAt - TimeSpan.FromMilliseconds(o.Milliseconds) >= roundStarted).ToList();
            if (round.Count >= MinimumRoundCalls && round.All(o => o.Verdict == Verdict.Served && o.Milliseconds < SteadyCall.TotalMilliseconds))
            {
                break;
            }
        }
        await traffic.StopAsync();
        await traffic.DeleteSandboxesAsync(cancellationToken);
    }

    public async Task<FaultResult> RunAsync(PlatformFault fault, CancellationToken cancellationToken)
    {
        TrafficTenant[] tenants =
        [
            await platform.NewTenantAsync("pro", null, cancellationToken),
            await platform.NewTenantAsync("free", FreePolicy, cancellationToken),
        ];
        await using var traffic = new SteadyTraffic(platform, tenants, Pause);
        await traffic.StartAsync(Callers, cancellationToken);
        await Task.Delay(Calm, cancellationToken);

        var injected = DateTimeOffset.UtcNow;
        var undo = await fault.InjectAsync(platform.Resources);
        await Task.Delay(fault.Hold, cancellationToken);
        var recovering = DateTimeOffset.UtcNow;
        await undo();
        var recovery = await UntilEverythingServedAsync(traffic, tenants, recovering, cancellationToken);
        await Task.Delay(Calm, cancellationToken);
        await traffic.StopAsync();

        await traffic.DeleteSandboxesAsync(cancellationToken);
        var ledger = new UsageLedger(platform);
        var usage = await ledger.SettleAsync(tenants, traffic.Outcomes, traffic.Sandboxes, cancellationToken);
        var drift = new List<string>();
        foreach (var tenant in tenants)
        {
            drift.AddRange(await ledger.DriftAsync(tenant, cancellationToken));
        }
        var revocation = await RevocationProbe.MeasureAsync(platform, tenants[0], cancellationToken);
        return new FaultResult(fault, traffic.Outcomes.OrderBy(o => o.EndedAt).ToList(), usage, recovery, drift, revocation, injected, recovering);
    }

    /// <summary>From the undo until each tenant has had each operation served again; null when that never happened.</summary>
    private static async Task<TimeSpan?> UntilEverythingServedAsync(SteadyTraffic traffic, TrafficTenant[] tenants, DateTimeOffset from, CancellationToken cancellationToken)
    {
        Operation[] operations = [Operation.Chat, Operation.MemoryPut, Operation.MemorySearch, Operation.SandboxExec, Operation.UsageRead];
        var deadline = from + RecoveryDeadline;
        while (DateTimeOffset.UtcNow < deadline)
        {
            var firsts = tenants.SelectMany(t => operations.Select(op => traffic.Outcomes
                    .Where(o => o.Tenant == t && o.Operation == op && o.Verdict == Verdict.Served && o.EndedAt >= from)
                    .Select(o => (DateTimeOffset?)o.EndedAt).Min()))
                .ToList();
            if (firsts.All(f => f is not null))
            {
                return firsts.Max()!.Value - from;
            }
            await Task.Delay(100, cancellationToken);
        }
        return null;
    }
}
