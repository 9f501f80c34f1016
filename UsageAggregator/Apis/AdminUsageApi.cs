using System.Text;
using AgentCloud.Platform;
using AgentCloud.Platform.Faults;
using AgentCloud.Platform.Tenancy;
using AgentCloud.UsageAggregator.Data;
using AgentCloud.UsageAggregator.Extensions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AgentCloud.UsageAggregator.Apis;

/// <summary>The operator's view: any tenant's usage (offboarded ones included) for chargeback, and reconciliation.</summary>
public static class AdminUsageApi
{
    public static RouteGroupBuilder MapAdminUsageApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/admin/v1/usage");
        group.MapGet("", GetChargeback);
        group.MapGet("/reconciliation", GetReconciliation);
        return group;
    }

    public sealed record ChargebackQuery(string? TenantId, string? From, string? To, string? Format, string? GroupBy, string? ProjectId);

    public sealed record Chargeback(
        string? TenantId, DateTimeOffset From, DateTimeOffset To, string GroupBy, IReadOnlyList<UsageRow> Data, UsageApi.UsageTotals Total);

    public static async Task<Results<Ok<Chargeback>, FileContentHttpResult, ProblemHttpResult>> GetChargeback(
        TenantContext ctx, [AsParameters] ChargebackQuery query, HttpRequest request, UsageQueries queries, TimeProvider time,
        IOptions<UsageApiOptions> options, CancellationToken cancellationToken)
    {
        if (!ctx.IsOperator)
        {
            return NotAnOperator();
        }
        var csv = query.Format?.ToLowerInvariant() switch
        {
            null => request.Headers.Accept.Any(a => a?.Contains("text/csv", StringComparison.OrdinalIgnoreCase) == true),
            "csv" => true,
            "json" => false,
            _ => (bool?)null,
        };
        if (csv is null)
        {
            return Problems.BadRequest($"'format' must be json or csv, not '{query.Format}'.");
        }
        // Chargeback lines are always per model or sandbox level; by project or key they are also split per project or key.
        var grouping = query.GroupBy?.ToLowerInvariant() switch
        {
            null or "model" => UsageGrouping.Model,
            "key" => UsageGrouping.Key,
            "project" => UsageGrouping.Project,
            _ => (UsageGrouping?)null,
        };
        if (grouping is null)
        {
            return Problems.BadRequest($"'groupBy' must be model, project or key, not '{query.GroupBy}'.");
        }
        if (!ProjectFilter.TryParse(query.ProjectId, out var projectId, out var projectProblem))
        {
            return Problems.BadRequest(projectProblem!);
        }
        if (UsagePeriod.TryParse(query.From, query.To, time.GetUtcNow(), out var problem) is not { } period)
        {
            return Problems.BadRequest(problem!);
        }
        var tenantId = string.IsNullOrEmpty(query.TenantId) ? null : query.TenantId;
        var rows = await StoreDeadline.RunAsync(UsageApi.Store, options.Value.AdminQueryDeadline,
            ct => queries.ChargebackAsync(tenantId, period.From, period.To, grouping.Value, ct, projectId), cancellationToken);
        if (csv.Value)
        {
            var name = $"usage-{tenantId ?? "all"}-{period.From:yyyyMMddHHmm}-{period.To:yyyyMMddHHmm}.csv";
            return TypedResults.File(Encoding.UTF8.GetBytes(ChargebackCsv.Write(rows, period)), "text/csv; charset=utf-8", name);
        }
        return TypedResults.Ok(new Chargeback(tenantId, period.From, period.To, grouping.Value.ToString().ToLowerInvariant(), rows, UsageApi.UsageTotals.Of(rows)));
    }

    public sealed record ReconciliationQuery(string? TenantId, string? From, string? To);

    public static async Task<Results<Ok<ReconciliationReport>, ProblemHttpResult>> GetReconciliation(
        TenantContext ctx, [AsParameters] ReconciliationQuery query, Reconciliation reconciliation, TimeProvider time,
        IOptions<UsageApiOptions> options, CancellationToken cancellationToken)
    {
        if (!ctx.IsOperator)
        {
            return NotAnOperator();
        }
        if (UsagePeriod.TryParse(query.From, query.To, time.GetUtcNow(), out var problem) is not { } period)
        {
            return Problems.BadRequest(problem!);
        }
        var tenantId = string.IsNullOrEmpty(query.TenantId) ? null : query.TenantId;
        return TypedResults.Ok(await StoreDeadline.RunAsync(UsageApi.Store, options.Value.AdminQueryDeadline,
            ct => reconciliation.RunAsync(tenantId, period.From, period.To, ct), cancellationToken));
    }

    // Tenants are not told the operator API exists.
    private static ProblemHttpResult NotAnOperator() => Problems.NotFound("There is nothing at this address for this caller.");
}
