using AgentCloud.ControlPlane.Infrastructure.Entities;
using Microsoft.EntityFrameworkCore;

namespace AgentCloud.ControlPlane.Infrastructure;

/// <summary>
/// The ControlPlane's store. Every table carries tenant_id and row-level security; use it through
/// <see cref="TenantDb"/>, which sets the tenant (or the platform scope) for each transaction.
/// </summary>
public sealed class ControlPlaneDbContext(DbContextOptions<ControlPlaneDbContext> options) : DbContext(options)
{
    public DbSet<Tenant> Tenants => Set<Tenant>();
    public DbSet<TenantModel> TenantModels => Set<TenantModel>();
    public DbSet<AllowlistEntry> Allowlist => Set<AllowlistEntry>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<Project> Projects => Set<Project>();
    public DbSet<VaultKey> VaultKeys => Set<VaultKey>();
    public DbSet<VaultSecret> VaultSecrets => Set<VaultSecret>();
    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();
    public DbSet<AuditHead> AuditHeads => Set<AuditHead>();
    public DbSet<AlertWebhook> AlertWebhooks => Set<AlertWebhook>();
    public DbSet<AlertDelivery> AlertDeliveries => Set<AlertDelivery>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(ControlPlaneDbContext).Assembly);
}
