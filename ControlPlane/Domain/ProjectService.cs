using System.Security.Cryptography;
using AgentCloud.ControlPlane.Infrastructure;
using AgentCloud.ControlPlane.Infrastructure.Entities;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace AgentCloud.ControlPlane.Domain;

/// <summary>Why a project operation was not done: the tenant or project does not exist (404), or the name is taken (409).</summary>
public enum ProjectFailure { NoTenant, NoProject, NameTaken }

/// <summary>
/// The project (or its failure). <see cref="Published"/> is false when a change is stored but the Gateways could not be
/// told (Redis away): they keep the old budget, or the deleted project's keys, until their cache entries lapse.
/// </summary>
public sealed record ProjectOutcome(Project? Project, ProjectFailure? Failure, bool Published = true)
{
    public static ProjectOutcome Failed(ProjectFailure failure) => new(null, failure);
}

/// <summary>
/// A tenant's projects: budgets within the tenant that keys may belong to. Each change is audited; a budget change or a
/// deletion drops the tenant's resolved keys on every Gateway (<see cref="PlatformEvents.PolicyChangedAsync"/>), so the
/// next call of a project's key carries the new budget, or is refused once its project is deleted.
/// </summary>
public sealed class ProjectService(TenantDb db, AuditLog audit, PlatformEvents events, TimeProvider time)
{
    public Task<ProjectOutcome> CreateAsync(string tenantId, string name, ProjectBudgetChange budgets, string actor, CancellationToken ct) =>
        NameTakenAsConflict(db.InTenantAsync(tenantId, async ctx =>
        {
            if (!await ctx.Tenants.AnyAsync(t => t.Id == tenantId, ct))
            {
                return ProjectOutcome.Failed(ProjectFailure.NoTenant);
            }
            if (await NameTakenAsync(ctx, tenantId, name, exceptId: null, ct))
            {
                return ProjectOutcome.Failed(ProjectFailure.NameTaken);
            }
            var project = new Project
            {
                Id = "prj_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
                TenantId = tenantId, Name = name, CreatedAt = time.GetUtcNow(),
            };
            budgets.ApplyTo(project);
            ctx.Projects.Add(project);
            await audit.AppendAsync(ctx, tenantId, actor, "project.created", Audited(project), ct);
            return new ProjectOutcome(project, null);
        }, ct));

    /// <summary>The tenant's live projects, oldest first; null: no such tenant.</summary>
    public Task<List<Project>?> ListAsync(string tenantId, CancellationToken ct) =>
        db.InTenantAsync(tenantId, async ctx =>
            await ctx.Tenants.AnyAsync(t => t.Id == tenantId, ct)
                ? await ctx.Projects.AsNoTracking().Where(p => p.TenantId == tenantId && p.DeletedAt == null).OrderBy(p => p.CreatedAt).ToListAsync(ct)
                : null, ct);

    /// <summary>A live project of the tenant, or null (another tenant's and a deleted one alike).</summary>
    public Task<Project?> GetAsync(string tenantId, string projectId, CancellationToken ct) =>
        db.InTenantAsync(tenantId, ctx => LiveAsync(ctx, tenantId, projectId, tracked: false, ct), ct);

    /// <summary>Renames and/or sets budgets (a budget 0 removes it; null leaves it).</summary>
    public async Task<ProjectOutcome> UpdateAsync(string tenantId, string projectId, string? name, ProjectBudgetChange budgets, string actor, CancellationToken ct)
    {
        var outcome = await NameTakenAsConflict(db.InTenantAsync(tenantId, async ctx =>
        {
            var project = await LiveAsync(ctx, tenantId, projectId, tracked: true, ct);
            if (project is null)
            {
                return ProjectOutcome.Failed(ProjectFailure.NoProject);
            }
            if (name is not null && name != project.Name && await NameTakenAsync(ctx, tenantId, name, project.Id, ct))
            {
                return ProjectOutcome.Failed(ProjectFailure.NameTaken);
            }
            project.Name = name ?? project.Name;
            budgets.ApplyTo(project);
            await audit.AppendAsync(ctx, tenantId, actor, "project.updated", Audited(project), ct);
            return new ProjectOutcome(project, null);
        }, ct));
        return outcome.Project is not null && !budgets.IsEmpty
            ? outcome with { Published = await events.PolicyChangedAsync(tenantId) }
            : outcome;
    }

    /// <summary>
    /// Marks the project deleted; its keys are refused from then on (they stay listed, with their project id). Deleting it
    /// again publishes the change again, as revoking a key again does.
    /// </summary>
    public async Task<ProjectOutcome> DeleteAsync(string tenantId, string projectId, string actor, CancellationToken ct)
    {
        var outcome = await db.InTenantAsync(tenantId, async ctx =>
        {
            var project = await ctx.Projects.SingleOrDefaultAsync(p => p.Id == projectId && p.TenantId == tenantId, ct);
            if (project is null)
            {
                return ProjectOutcome.Failed(ProjectFailure.NoProject);
            }
            if (project.DeletedAt is not null)
            {
                return new ProjectOutcome(project, null);
            }
            project.DeletedAt = time.GetUtcNow();
            var keys = await ctx.ApiKeys.CountAsync(k => k.TenantId == tenantId && k.ProjectId == projectId && k.RevokedAt == null, ct);
            await audit.AppendAsync(ctx, tenantId, actor, "project.deleted", new { projectId, project.Name, keysRefused = keys }, ct);
            return new ProjectOutcome(project, null);
        }, ct);
        return outcome.Project is not null ? outcome with { Published = await events.PolicyChangedAsync(tenantId) } : outcome;
    }

    private static object Audited(Project p) =>
        new { projectId = p.Id, p.Name, p.TokensPerMinute, p.TokensPerPeriod, p.DollarsPerPeriod, p.Period, p.AlertThresholds };

    private static Task<Project?> LiveAsync(ControlPlaneDbContext ctx, string tenantId, string projectId, bool tracked, CancellationToken ct) =>
        (tracked ? ctx.Projects : ctx.Projects.AsNoTracking()).SingleOrDefaultAsync(p => p.Id == projectId && p.TenantId == tenantId && p.DeletedAt == null, ct);

    private static Task<bool> NameTakenAsync(ControlPlaneDbContext ctx, string tenantId, string name, string? exceptId, CancellationToken ct) =>
        ctx.Projects.AnyAsync(p => p.TenantId == tenantId && p.Name == name && p.DeletedAt == null && p.Id != exceptId, ct);

    /// <summary>Two creations of one name at once: the unique index refuses the second, which is the same 409.</summary>
    private static async Task<ProjectOutcome> NameTakenAsConflict(Task<ProjectOutcome> operation)
    {
        try
        {
            return await operation;
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            return ProjectOutcome.Failed(ProjectFailure.NameTaken);
        }
    }
}
