using AgentCloud.ControlPlane.Infrastructure.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AgentCloud.ControlPlane.Infrastructure.EntityConfigurations;

internal sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKey>
{
    public void Configure(EntityTypeBuilder<ApiKey> b)
    {
        b.ToTable("api_keys");
        b.HasKey(k => k.Id);
        b.Property(k => k.Id).HasColumnName("key_id").HasMaxLength(64);
        b.Property(k => k.TenantId).HasColumnName("tenant_id").HasMaxLength(64);
        b.Property(k => k.Name).HasColumnName("name").HasMaxLength(200);
        b.Property(k => k.Prefix).HasColumnName("prefix").HasMaxLength(32);
        b.Property(k => k.Hash).HasColumnName("hash");
        b.Property(k => k.Capabilities).HasColumnName("capabilities");
        b.Property(k => k.CreatedAt).HasColumnName("created_at");
        b.Property(k => k.RevokedAt).HasColumnName("revoked_at");
        b.Property(k => k.DefaultLane).HasColumnName("default_lane").HasMaxLength(16);
        b.Property(k => k.RunId).HasColumnName("run_id").HasMaxLength(64);
        b.Property(k => k.ExpiresAt).HasColumnName("expires_at");
        b.Property(k => k.PreviousHash).HasColumnName("previous_hash");
        b.Property(k => k.PreviousHashValidUntil).HasColumnName("previous_hash_valid_until");
        b.Property(k => k.RotatedAt).HasColumnName("rotated_at");
        b.Property(k => k.RequestsPerMinute).HasColumnName("requests_per_minute");
        b.Property(k => k.TokensPerMinute).HasColumnName("tokens_per_minute");
        b.Property(k => k.ProjectId).HasColumnName("project_id").HasMaxLength(64);
        b.Property(k => k.DollarBudget).HasColumnName("dollar_budget").HasPrecision(18, 6);
        b.Property(k => k.DollarBudgetPeriod).HasColumnName("dollar_budget_period").HasMaxLength(8);
        b.Property(k => k.DollarBudgetKeyId).HasColumnName("dollar_budget_key_id").HasMaxLength(64);
        b.HasIndex(k => k.Prefix).IsUnique();
        b.HasIndex(k => k.ProjectId);
        b.HasIndex(k => k.TenantId);
        b.HasIndex(k => new { k.TenantId, k.RunId });
        b.HasOne<Tenant>().WithMany().HasForeignKey(k => k.TenantId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Project>().WithMany().HasForeignKey(k => k.ProjectId).OnDelete(DeleteBehavior.NoAction);
    }
}
