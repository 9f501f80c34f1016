using AgentCloud.ControlPlane.Infrastructure.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AgentCloud.ControlPlane.Infrastructure.EntityConfigurations;

internal sealed class AllowlistEntryConfiguration : IEntityTypeConfiguration<AllowlistEntry>
{
    public void Configure(EntityTypeBuilder<AllowlistEntry> b)
    {
        b.ToTable("tenant_allowlist");
        b.HasKey(a => new { a.TenantId, a.Kind, a.Value });
        b.Property(a => a.TenantId).HasColumnName("tenant_id").HasMaxLength(64);
        b.Property(a => a.Kind).HasColumnName("kind").HasMaxLength(16);
        b.Property(a => a.Value).HasColumnName("value").HasMaxLength(255);
    }
}
