using AgentCloud.ControlPlane.Infrastructure.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AgentCloud.ControlPlane.Infrastructure.EntityConfigurations;

internal sealed class TenantConfiguration : IEntityTypeConfiguration<Tenant>
{
    public void Configure(EntityTypeBuilder<Tenant> b)
    {
        b.ToTable("tenants");
        b.HasKey(t => t.Id);
        b.Property(t => t.Id).HasColumnName("tenant_id").HasMaxLength(64);
        b.Property(t => t.Name).HasColumnName("name").HasMaxLength(200);
        b.Property(t => t.Tier).HasColumnName("tier").HasMaxLength(32);
        b.Property(t => t.Status).HasColumnName("status").HasMaxLength(32);
        b.Property(t => t.PolicyOverrides).HasColumnName("policy_overrides").HasColumnType("jsonb");
        b.Property(t => t.CustomModels).HasColumnName("custom_models");
        b.Property(t => t.CustomTools).HasColumnName("custom_tools");
        b.Property(t => t.CustomEgress).HasColumnName("custom_egress");
        b.Property(t => t.CreatedAt).HasColumnName("created_at");
        b.Property(t => t.UpdatedAt).HasColumnName("updated_at");
        b.HasMany(t => t.Models).WithOne().HasForeignKey(m => m.TenantId).OnDelete(DeleteBehavior.Cascade);
        b.HasMany(t => t.Allowlist).WithOne().HasForeignKey(a => a.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}
