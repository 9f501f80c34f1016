using Microsoft.EntityFrameworkCore;

namespace AgentCloud.ControlPlane.Infrastructure;

/// <summary>
/// Runs work in one transaction whose row-level-security scope is set first: one tenant's rows, or (for the
/// operator's cross-tenant views and key resolution) the platform scope. The settings are transaction-local,
/// so a pooled connection never carries a tenant into the next request.
/// </summary>
public sealed class TenantDb(ControlPlaneDbContext db)
{
    public Task<T> InTenantAsync<T>(string tenantId, Func<ControlPlaneDbContext, Task<T>> work, CancellationToken ct) =>
        RunAsync(tenantId, platform: false, work, ct);

    public Task<T> InPlatformScopeAsync<T>(Func<ControlPlaneDbContext, Task<T>> work, CancellationToken ct) =>
        RunAsync("", platform: true, work, ct);

    private Task<T> RunAsync<T>(string tenantId, bool platform, Func<ControlPlaneDbContext, Task<T>> work, CancellationToken ct) =>
        db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var scope = platform ? "on" : "off";
            await db.Database.ExecuteSqlAsync(
                $"SELECT set_config({ServiceRole.TenantSetting}, {tenantId}, true), set_config({ServiceRole.PlatformScopeSetting}, {scope}, true)", ct);
            var result = await work(db);
            await transaction.CommitAsync(ct);
            return result;
        });
}
