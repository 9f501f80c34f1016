using AgentCloud.Console.Api;

namespace AgentCloud.Console.Usage;

/// <summary>
/// Reads the usage a chart page shows, through the API the user may call: the operator's chargeback (per tenant, per
/// model; the admin API groups by model, so days are asked one window each) or the tenant's own usage.
/// </summary>
public sealed class UsageLoader(IPlatformApi api, TimeProvider time)
{
    public sealed record Loaded(IReadOnlyList<UsageCharts.Day> Days, string? Problem)
    {
        public IEnumerable<UsageRowView> AllRows => Days.SelectMany(d => d.Rows);
    }

    public async Task<Loaded> LoadAsync(string? tenantId, bool asOperator, CancellationToken ct)
    {
        var windows = UsageCharts.Windows(time.GetUtcNow());
        var answers = await Task.WhenAll(windows.Select(w => asOperator
            ? api.ChargebackAsync(tenantId, w.From, w.To, ct)
            : api.OwnUsageAsync(w.From, w.To, "model", ct)));
        var problem = answers.FirstOrDefault(a => !a.Ok)?.Problem;
        var days = windows.Zip(answers, (w, a) => new UsageCharts.Day(DateOnly.FromDateTime(w.From.UtcDateTime), a.Value?.Data ?? [])).ToList();
        return new Loaded(days, problem);
    }
}
