using System.Net;
using System.Text.Json.Nodes;

namespace AgentCloud.Faults.Harness;

/// <summary>Reads what the platform billed, through its public APIs: the tenant's own usage and the operator's reconciliation.</summary>
public sealed class UsageLedger(FaultPlatform platform)
{
    /// <summary>How long the pipeline (outbox spool, stream, aggregator, Postgres) may take to settle after a fault.</summary>
    public static readonly TimeSpan SettleDeadline = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Waits (bounded) until every served call is billed, then reads once more after a pause, so a late duplicate
    /// (a spool replayed twice, a batch written again) is seen too.
    /// </summary>
    public async Task<UsageTally> SettleAsync(IReadOnlyList<TrafficTenant> tenants, IReadOnlyCollection<CallOutcome> outcomes,
        IReadOnlyCollection<(TrafficTenant Tenant, string SandboxId)> sandboxes, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + SettleDeadline;
        var tally = await TallyAsync(tenants, outcomes, sandboxes, cancellationToken);
        while (!tally.Settled && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(500, cancellationToken);
            tally = await TallyAsync(tenants, outcomes, sandboxes, cancellationToken);
        }
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        return await TallyAsync(tenants, outcomes, sandboxes, cancellationToken);
    }

    private async Task<UsageTally> TallyAsync(IReadOnlyList<TrafficTenant> tenants, IReadOnlyCollection<CallOutcome> outcomes,
        IReadOnlyCollection<(TrafficTenant Tenant, string SandboxId)> sandboxes, CancellationToken cancellationToken)
    {
        var lines = new List<UsageTally.Line>();
        foreach (var tenant in tenants)
        {
            var billed = await EventsByKindAsync(tenant, cancellationToken);
            var chats = outcomes.Where(o => o.Tenant == tenant && o.Operation == Operation.Chat).ToList();
            var creates = outcomes.Where(o => o.Tenant == tenant && o.Operation == Operation.SandboxCreate).ToList();
            lines.Add(new(tenant.TenantId, "inference", chats.Count(o => o.Verdict == Verdict.Served), chats.Count(o => o.InDoubt), billed.GetValueOrDefault("inference")));
            lines.Add(new(tenant.TenantId, "sandbox", sandboxes.Count(s => s.Tenant == tenant), creates.Count(o => o.InDoubt), billed.GetValueOrDefault("sandbox")));
        }
        return new UsageTally(lines);
    }

    private async Task<Dictionary<string, long>> EventsByKindAsync(TrafficTenant tenant, CancellationToken cancellationToken)
    {
        using var client = platform.Gateway(tenant.Key);
        var response = await SteadyTraffic.Patiently(() => client.GetAsync("/v1/usage?groupBy=model", cancellationToken), cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"Usage of {tenant.TenantId} answered {(int)response.StatusCode}: {body}");
        }
        return JsonNode.Parse(body)!["data"]!.AsArray()
            .GroupBy(row => row!["kind"]!.GetValue<string>())
            .ToDictionary(g => g.Key, g => g.Sum(row => row!["events"]!.GetValue<long>()));
    }

    /// <summary>The operator's reconciliation for the tenant: every rollup bucket that differs from its raw events.</summary>
    public async Task<IReadOnlyList<string>> DriftAsync(TrafficTenant tenant, CancellationToken cancellationToken)
    {
        using var admin = platform.Operator();
        var response = await SteadyTraffic.Patiently(() => admin.GetAsync($"/admin/v1/usage/reconciliation?tenantId={tenant.TenantId}", cancellationToken), cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"Reconciliation of {tenant.TenantId} answered {(int)response.StatusCode}: {body}");
        }
        return JsonNode.Parse(body)!["drift"]!.AsArray().Select(d => d!.ToJsonString()).ToList();
    }
}
