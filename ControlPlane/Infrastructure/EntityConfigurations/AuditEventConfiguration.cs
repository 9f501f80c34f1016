using AgentCloud.ControlPlane.Infrastructure.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AgentCloud.ControlPlane.Infrastructure.EntityConfigurations;

/// <summary>No foreign key to tenants: the trail outlives an offboarded tenant.</summary>
internal sealed class AuditEventConfiguration : IEntityTypeConfiguration<AuditEvent>
{
    public void Configure(EntityTypeBuilder<AuditEvent> b)
    {
        b.ToTable("audit_events");
        b.HasKey(e => e.Id);
        b.Property(e => e.Id).HasColumnName("event_id").UseIdentityAlwaysColumn();
        b.Property(e => e.TenantId).HasColumnName("tenant_id").HasMaxLength(64);
        b.Property(e => e.Sequence).HasColumnName("sequence");
        b.Property(e => e.At).HasColumnName("at");
        b.Property(e => e.Actor).HasColumnName("actor").HasMaxLength(200);
        b.Property(e => e.Action).HasColumnName("action").HasMaxLength(64);
        b.Property(e => e.Detail).HasColumnName("detail");
        b.Property(e => e.PreviousHash).HasColumnName("previous_hash");
        b.Property(e => e.Hash).HasColumnName("hash");
        b.HasIndex(e => new { e.TenantId, e.Sequence }).IsUnique();
    }
}
