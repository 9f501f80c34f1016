using AgentCloud.ControlPlane.Infrastructure.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AgentCloud.ControlPlane.Infrastructure.EntityConfigurations;

internal sealed class ProjectConfiguration : IEntityTypeConfiguration<Project>
{
    public void Configure(EntityTypeBuilder<Project> b)
    {
        b.ToTable("projects");
        b.HasKey(p => p.Id);
        b.Property(p => p.Id).HasColumnName("project_id").HasMaxLength(64);
        b.Property(p => p.TenantId).HasColumnName("tenant_id").HasMaxLength(64);
        b.Property(p => p.Name).HasColumnName("name").HasMaxLength(200);
        b.Property(p => p.TokensPerMinute).HasColumnName("tokens_per_minute");
        b.Property(p => p.TokensPerPeriod).HasColumnName("tokens_per_period");
        // Whole micro-dollars at most: the router's ledger counts in them.
        b.Property(p => p.DollarsPerPeriod).HasColumnName("dollars_per_period").HasPrecision(18, 6);
        b.Property(p => p.Period).HasColumnName("period").HasMaxLength(8).HasDefaultValue("month");
        b.Property(p => p.AlertThresholds).HasColumnName("alert_thresholds").HasDefaultValueSql("'{80,100}'::integer[]");
        b.Property(p => p.CreatedAt).HasColumnName("created_at");
        b.Property(p => p.DeletedAt).HasColumnName("deleted_at");
        // A deleted project's name may be used again.
        b.HasIndex(p => new { p.TenantId, p.Name }).IsUnique().HasFilter("deleted_at IS NULL");
        b.HasOne<Tenant>().WithMany().HasForeignKey(p => p.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}
