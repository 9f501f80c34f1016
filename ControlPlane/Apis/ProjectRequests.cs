using AgentCloud.ControlPlane.Domain;
using AgentCloud.ControlPlane.Infrastructure.Entities;
using AgentCloud.Platform;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCloud.ControlPlane.Apis;

/// <summary>
/// Body of a project creation: a name unique among the tenant's projects, and optionally its budgets: tokens per minute,
/// weighted tokens and US dollars per <c>period</c> (day, week or month, UTC; default month) with the percents of them that
/// raise an alert (default [80, 100]).
/// </summary>
public sealed record CreateProjectRequest(string? Name, long? TokensPerMinute = null, long? TokensPerPeriod = null, decimal? DollarsPerPeriod = null,
    string? Period = null, IReadOnlyList<int>? AlertThresholds = null)
{
    public ProjectBudgetChange Budgets => new(TokensPerMinute, TokensPerPeriod, DollarsPerPeriod, Period, AlertThresholds);
}

/// <summary>Body of a project PATCH: what to change (a budget 0 removes it; absent leaves it).</summary>
public sealed record UpdateProjectRequest(string? Name = null, long? TokensPerMinute = null, long? TokensPerPeriod = null, decimal? DollarsPerPeriod = null,
    string? Period = null, IReadOnlyList<int>? AlertThresholds = null)
{
    public ProjectBudgetChange Budgets => new(TokensPerMinute, TokensPerPeriod, DollarsPerPeriod, Period, AlertThresholds);
}

public sealed record ProjectResponse(string Id, string Name, long? TokensPerMinute, long? TokensPerPeriod, decimal? DollarsPerPeriod, string Period,
    IReadOnlyList<int> AlertThresholds, DateTimeOffset CreatedAt)
{
    public static ProjectResponse From(Project p) =>
        new(p.Id, p.Name, p.TokensPerMinute, p.TokensPerPeriod, p.DollarsPerPeriod, p.Period, p.AlertThresholds, p.CreatedAt);
}

/// <summary>What the operator's and the tenant's project APIs check and answer alike.</summary>
internal static class ProjectRequests
{
    public static string? RefuseCreate(CreateProjectRequest request) =>
        RefuseName(request.Name, required: true)
        ?? (request.TokensPerMinute is <= 0 ? "'tokensPerMinute' is the project's budget within the tenant's: a positive number, or absent for none." : null)
        ?? RefuseBudgets(request.Budgets, zeroRemoves: false);

    public static string? RefuseUpdate(UpdateProjectRequest request) =>
        request.Name is null && request.Budgets.IsEmpty
            ? "Nothing to change: give 'name' and/or a budget ('tokensPerMinute', 'tokensPerPeriod', 'dollarsPerPeriod', 'period', 'alertThresholds'; a budget 0 removes it)."
        : RefuseName(request.Name, required: false)
        ?? (request.TokensPerMinute is < 0 ? "'tokensPerMinute' must be a positive number, or 0 to remove the project's budget." : null)
        ?? RefuseBudgets(request.Budgets, zeroRemoves: true);

    private static string? RefuseBudgets(ProjectBudgetChange budgets, bool zeroRemoves) =>
        BudgetValidation.RefuseTokens(budgets.TokensPerPeriod, "tokensPerPeriod", zeroRemoves)
        ?? BudgetValidation.RefuseDollars(budgets.DollarsPerPeriod, "dollarsPerPeriod", zeroRemoves)
        ?? BudgetValidation.RefusePeriod(budgets.Period, "period")
        ?? BudgetValidation.RefuseThresholds(budgets.AlertThresholds);

    private static string? RefuseName(string? name, bool required) =>
        (name is null && !required) || (!string.IsNullOrWhiteSpace(name) && name.Length <= TenantValidation.MaxNameLength && !name.Any(char.IsControl))
            ? null
            : $"'name' is required: 1 to {TenantValidation.MaxNameLength} characters, no control characters.";

    /// <summary>The answer to an operation: the project, or the problem its failure is.</summary>
    public static Results<T, ProblemHttpResult> Answer<T>(string tenantId, string projectId, ProjectOutcome outcome, Func<Project, T> success) where T : IResult =>
        outcome.Failure switch
        {
            ProjectFailure.NoTenant => TenantsApi.NoSuchTenant(tenantId),
            ProjectFailure.NoProject => Problems.NotFound($"There is no project '{TenantValidation.Clip(projectId)}'."),
            ProjectFailure.NameTaken => Problems.Create(StatusCodes.Status409Conflict, "project-name-taken", "Project name taken",
                "The tenant already has a project of that name; choose another or PATCH the existing one."),
            _ when !outcome.Published => Problems.Create(StatusCodes.Status503ServiceUnavailable, "project-change-not-published", "Change not yet published",
                "The change is stored, but the Gateways could not be told (Redis unavailable); repeat the request to publish it again."),
            _ => success(outcome.Project!),
        };

    public static Task<ProjectOutcome> CreateAsync(ProjectService projects, string tenantId, CreateProjectRequest request, string actor, CancellationToken ct) =>
        projects.CreateAsync(tenantId, request.Name!.Trim(), request.Budgets, actor, ct);

    public static Task<ProjectOutcome> UpdateAsync(ProjectService projects, string tenantId, string projectId, UpdateProjectRequest request, string actor, CancellationToken ct) =>
        projects.UpdateAsync(tenantId, projectId, request.Name?.Trim(), request.Budgets, actor, ct);
}
