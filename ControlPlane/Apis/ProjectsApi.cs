using AgentCloud.ControlPlane.Domain;
using AgentCloud.Platform;
using AgentCloud.Platform.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCloud.ControlPlane.Apis;

/// <summary>
/// Projects within a tenant: the tenant's own <c>/v1/projects</c> for a key holding <c>projects:admin</c>, and the operator's
/// <c>/admin/v1/tenants/{id}/projects</c>. Another tenant's project, and a deleted one, is 404.
/// </summary>
public static class ProjectsApi
{
    public static IEndpointRouteBuilder MapProjectsApi(this IEndpointRouteBuilder app)
    {
        var tenant = app.MapGroup("/v1/projects").AddEndpointFilter<ProjectsAdminOnly>();
        tenant.MapPost("", (CreateProjectRequest request, TenantContext ctx, ProjectService projects, CancellationToken ct) =>
            Create(ctx.TenantId, request, ctx, projects, "/v1/projects", ct));
        tenant.MapGet("", (TenantContext ctx, ProjectService projects, CancellationToken ct) => List(ctx.TenantId, projects, ct));
        tenant.MapGet("{projectId}", (string projectId, TenantContext ctx, ProjectService projects, CancellationToken ct) => Get(ctx.TenantId, projectId, projects, ct));
        tenant.MapPatch("{projectId}", (string projectId, UpdateProjectRequest request, TenantContext ctx, ProjectService projects, CancellationToken ct) =>
            Update(ctx.TenantId, projectId, request, ctx, projects, ct));
        tenant.MapDelete("{projectId}", (string projectId, TenantContext ctx, ProjectService projects, CancellationToken ct) => Delete(ctx.TenantId, projectId, ctx, projects, ct));

        var admin = app.MapGroup("/admin/v1/tenants/{tenantId}/projects").AddEndpointFilter<OperatorOnly>();
        admin.MapPost("", (string tenantId, CreateProjectRequest request, TenantContext ctx, ProjectService projects, CancellationToken ct) =>
            Create(tenantId, request, ctx, projects, $"/admin/v1/tenants/{tenantId}/projects", ct));
        admin.MapGet("", (string tenantId, ProjectService projects, CancellationToken ct) => List(tenantId, projects, ct));
        admin.MapGet("{projectId}", (string tenantId, string projectId, ProjectService projects, CancellationToken ct) => Get(tenantId, projectId, projects, ct));
        admin.MapPatch("{projectId}", (string tenantId, string projectId, UpdateProjectRequest request, TenantContext ctx, ProjectService projects, CancellationToken ct) =>
            Update(tenantId, projectId, request, ctx, projects, ct));
        admin.MapDelete("{projectId}", (string tenantId, string projectId, TenantContext ctx, ProjectService projects, CancellationToken ct) =>
            Delete(tenantId, projectId, ctx, projects, ct));
        return app;
    }

    private static async Task<Results<Created<ProjectResponse>, ProblemHttpResult>> Create(string tenantId, CreateProjectRequest request, TenantContext ctx,
        ProjectService projects, string basePath, CancellationToken ct)
    {
        if (ProjectRequests.RefuseCreate(request) is { } refusal)
        {
            return Problems.BadRequest(refusal);
        }
        var outcome = await ProjectRequests.CreateAsync(projects, tenantId, request, ctx.Principal, ct);
        return ProjectRequests.Answer(tenantId, "", outcome, p => TypedResults.Created($"{basePath}/{p.Id}", ProjectResponse.From(p)));
    }

    private static async Task<Results<Ok<List<ProjectResponse>>, ProblemHttpResult>> List(string tenantId, ProjectService projects, CancellationToken ct) =>
        await projects.ListAsync(tenantId, ct) is { } list ? TypedResults.Ok(list.Select(ProjectResponse.From).ToList()) : TenantsApi.NoSuchTenant(tenantId);

    private static async Task<Results<Ok<ProjectResponse>, ProblemHttpResult>> Get(string tenantId, string projectId, ProjectService projects, CancellationToken ct) =>
        await projects.GetAsync(tenantId, projectId, ct) is { } project
            ? TypedResults.Ok(ProjectResponse.From(project))
            : Problems.NotFound($"There is no project '{TenantValidation.Clip(projectId)}'.");

    private static async Task<Results<Ok<ProjectResponse>, ProblemHttpResult>> Update(string tenantId, string projectId, UpdateProjectRequest request,
        TenantContext ctx, ProjectService projects, CancellationToken ct)
    {
        if (ProjectRequests.RefuseUpdate(request) is { } refusal)
        {
            return Problems.BadRequest(refusal);
        }
        var outcome = await ProjectRequests.UpdateAsync(projects, tenantId, projectId, request, ctx.Principal, ct);
        return ProjectRequests.Answer(tenantId, projectId, outcome, p => TypedResults.Ok(ProjectResponse.From(p)));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string tenantId, string projectId, TenantContext ctx, ProjectService projects, CancellationToken ct) =>
        ProjectRequests.Answer(tenantId, projectId, await projects.DeleteAsync(tenantId, projectId, ctx.Principal, ct), _ => TypedResults.NoContent());

    /// <summary>Only a tenant's own key with <c>projects:admin</c>, called through the Gateway by the tenant itself (never a run's key).</summary>
    private sealed class ProjectsAdminOnly : IEndpointFilter
    {
        public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
        {
            var caller = context.HttpContext.Features.Get<TenantContext>();
            if (caller is null || caller.TenantId == TenantContext.PlatformTenantId || !caller.Has(Capabilities.ProjectsAdmin) || caller.RunId is not null || caller.Via is not null)
            {
                return ValueTask.FromResult<object?>(Problems.Forbidden(
                    $"Managing projects needs the '{Capabilities.ProjectsAdmin}' capability on a tenant's own key (never a run's key); the operator uses /admin/v1/tenants/{{id}}/projects."));
            }
            return next(context);
        }
    }
}
