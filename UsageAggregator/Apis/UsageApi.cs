using AgentCloud.Platform;
using AgentCloud.Platform.Faults;
using AgentCloud.Platform.Tenancy;
using AgentCloud.UsageAggregator.Data;
using AgentCloud.UsageAggregator.Extensions;
using AgentCloud.UsageAggregator.Tenants;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AgentCloud.UsageAggregator.Apis;

/// <summary>The caller's own usage: the tenant always comes from the signed context, never from the request.</summary>
public static class UsageApi
{
    /// <summary>The store named in a 503 when the usage database does not answer in time.</summary>
    public const string Store = "usage";

    public static RouteGroupBuilder MapUsageApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/usage");
        group.MapGet("", GetOwnUsage);
        return group;
    }

    public sealed record UsageQuery(string? From, string? To, string? GroupBy, string? Model, string? TenantId, string? ProjectId);

    public sealed record TenantUsage(string TenantId, DateTimeOffset From, DateTimeOffset To, string GroupBy, IReadOnlyList<UsageRow> Data, UsageTotals Total);

    public sealed record UsageTotals(long Events, long InputTokens, long CachedInputTokens, long OutputTokens, long WeightedTokens, decimal SandboxSeconds, decimal Cost,
        long ToolCalls, decimal ToolSeconds)
    {
        public static UsageTotals Of(IReadOnlyList<UsageRow> rows) => new(
            rows.Sum(r => r.Events), rows.Sum(r => r.InputTokens), rows.Sum(r => r.CachedInputTokens), rows.Sum(r => r.OutputTokens),
            rows.Sum(r => r.WeightedTokens), rows.Sum(r => r.SandboxSeconds), rows.Sum(r => r.Cost), rows.Sum(r => r.ToolCalls), rows.Sum(r => r.ToolSeconds));
    }

    public static async Task<Results<Ok<TenantUsage>, ProblemHttpResult>> GetOwnUsage(
        TenantContext ctx, [AsParameters] UsageQuery query, UsageQueries queries, OffboardedTenants offboarded, TimeProvider time,
        IOptions<UsageApiOptions> options, CancellationToken cancellationToken)
    {
        // Naming any other tenant reads as "no such thing", never as someone else's data.
        if (query.TenantId is not null && !string.Equals(query.TenantId, ctx.TenantId, StringComparison.Ordinal))
        {
            return Problems.NotFound("No usage is visible for that tenant.");
        }
        var deadline = options.Value.QueryDeadline;
        if (await StoreDeadline.RunAsync(Store, deadline, ct => offboarded.IsOffboardedAsync(ctx.TenantId, ct), cancellationToken))
        {
            return Problems.NotFound("This tenant has been offboarded; its usage is available to the operator only.");
        }
        var grouping = (query.GroupBy ?? "model").ToLowerInvariant() switch
        {
            "model" => UsageGrouping.Model,
            "day" => UsageGrouping.Day,
            "none" or "total" => UsageGrouping.Total,
            "key" => UsageGrouping.Key,
            "project" => UsageGrouping.Project,
            _ => (UsageGrouping?)null,
        };
        if (grouping is null)
        {
            return Problems.BadRequest($"'groupBy' must be model, day, key, project or none, not '{query.GroupBy}'.");
        }
        if (!ProjectFilter.TryParse(query.ProjectId, out var projectId, out var projectProblem))
        {
            return Problems.BadRequest(projectProblem!);
        }
        if (UsagePeriod.TryParse(query.From, query.To, time.GetUtcNow(), out var problem) is not { } period)
        {
            return Problems.BadRequest(problem!);
        }
        // A model id is printable text; a NUL or other control character can name none (and Postgres text cannot hold NUL).
        if (query.Model is { } model && (model.Length > 256 || model.Any(char.IsControl)))
        {
            return Problems.BadRequest("'model' must be a model id: at most 256 characters, without control characters.");
        }
        // A key of a project reads its own project's usage only: asking for another project finds nothing, as for an unknown one.
        if (ctx.ProjectId is not null && projectId is not null && projectId != ctx.ProjectId)
        {
            return TypedResults.Ok(new TenantUsage(ctx.TenantId, period.From, period.To, grouping.Value.ToString().ToLowerInvariant(), [], UsageTotals.Of([])));
        }
        projectId = ctx.ProjectId ?? projectId;
        var rows = await StoreDeadline.RunAsync(Store, deadline,
            ct => queries.ForTenantAsync(ctx.TenantId, period.From, period.To, grouping.Value, query.Model, ct, projectId), cancellationToken);
        return TypedResults.Ok(new TenantUsage(ctx.TenantId, period.From, period.To, grouping.Value.ToString().ToLowerInvariant(), rows, UsageTotals.Of(rows)));
    }
}
