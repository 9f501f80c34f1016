using AgentCloud.ControlPlane.Infrastructure.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AgentCloud.ControlPlane.Infrastructure.EntityConfigurations;

internal sealed class AuditHeadConfiguration : IEntityTypeConfiguration<AuditHead>
{
    public void Configure(EntityTypeBuilder<AuditHead> b)
    {
        b.ToTable("audit_heads");
        b.HasKey(h => h.TenantId);
        b.Property(h => h.TenantId).HasColumnName("tenant_id").HasMaxLength(64);
        b.Property(h => h.Sequence).HasColumnName("sequence");
        b.Property(h => h.Hash).HasColumnName("hash");
    }
}
