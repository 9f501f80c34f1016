using AgentCloud.ControlPlane.Domain;
using AgentCloud.ControlPlane.Infrastructure.Entities;
using AgentCloud.Platform;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCloud.ControlPlane.Apis;

/// <summary>Body of a project creation: a name unique among the tenant's projects, and optionally its tokens per minute.</summary>
public sealed record CreateProjectRequest(string? Name, long? TokensPerMinute = null);

/// <summary>Body of a project PATCH: what to change (<c>tokensPerMinute</c> 0 removes the project's budget).</summary>
public sealed record UpdateProjectRequest(string? Name = null, long? TokensPerMinute = null);

public sealed record ProjectResponse(string Id, string Name, long? TokensPerMinute, DateTimeOffset CreatedAt)
{
    public static ProjectResponse From(Project p) => new(p.Id, p.Name, p.TokensPerMinute, p.CreatedAt);
}

/// <summary>What the operator's and the tenant's project APIs check and answer alike.</summary>
internal static class ProjectRequests
{
    public static string? RefuseCreate(CreateProjectRequest request) =>
        RefuseName(request.Name, required: true)
        ?? (request.TokensPerMinute is <= 0 ? "'tokensPerMinute' is the project's budget within the tenant's: a positive number, or absent for none." : null);

    public static string? RefuseUpdate(UpdateProjectRequest request) =>
        request is { Name: null, TokensPerMinute: null } ? "Nothing to change: give 'name' and/or 'tokensPerMinute' (0 removes the project's budget)."
        : RefuseName(request.Name, required: false)
        ?? (request.TokensPerMinute is < 0 ? "'tokensPerMinute' must be a positive number, or 0 to remove the project's budget." : null);

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
        projects.CreateAsync(tenantId, request.Name!.Trim(), request.TokensPerMinute, actor, ct);

    public static Task<ProjectOutcome> UpdateAsync(ProjectService projects, string tenantId, string projectId, UpdateProjectRequest request, string actor, CancellationToken ct) =>
        projects.UpdateAsync(tenantId, projectId, request.Name?.Trim(), request.TokensPerMinute, actor, ct);
}
