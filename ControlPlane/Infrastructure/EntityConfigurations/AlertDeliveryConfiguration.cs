using AgentCloud.ControlPlane.Infrastructure.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AgentCloud.ControlPlane.Infrastructure.EntityConfigurations;

internal sealed class AlertDeliveryConfiguration : IEntityTypeConfiguration<AlertDelivery>
{
    public void Configure(EntityTypeBuilder<AlertDelivery> b)
    {
        b.ToTable("alert_deliveries");
        b.HasKey(d => d.AlertId);
        b.Property(d => d.AlertId).HasColumnName("alert_id").HasMaxLength(512);
        b.Property(d => d.Sequence).HasColumnName("sequence").ValueGeneratedOnAdd().UseIdentityAlwaysColumn();
        b.Property(d => d.Sequence).Metadata.SetAfterSaveBehavior(Microsoft.EntityFrameworkCore.Metadata.PropertySaveBehavior.Ignore);
        b.Property(d => d.TenantId).HasColumnName("tenant_id").HasMaxLength(64);
        b.Property(d => d.Body).HasColumnName("body");
        b.Property(d => d.State).HasColumnName("state").HasMaxLength(16);
        b.Property(d => d.Attempts).HasColumnName("attempts");
        b.Property(d => d.NextAttemptAt).HasColumnName("next_attempt_at");
        b.Property(d => d.CreatedAt).HasColumnName("created_at");
        b.Property(d => d.CompletedAt).HasColumnName("completed_at");
        b.Property(d => d.LastStatus).HasColumnName("last_status");
        b.Property(d => d.LastError).HasColumnName("last_error").HasMaxLength(500);
        b.HasIndex(d => d.Sequence).IsUnique();
        b.HasIndex(d => new { d.TenantId, d.Sequence });
        // The worker's scan: only what is still to be attempted.
        b.HasIndex(d => d.NextAttemptAt).HasFilter("state = 'pending'");
        b.HasOne<Tenant>().WithMany().HasForeignKey(d => d.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}
