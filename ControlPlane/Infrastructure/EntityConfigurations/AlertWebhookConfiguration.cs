using AgentCloud.ControlPlane.Infrastructure.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AgentCloud.ControlPlane.Infrastructure.EntityConfigurations;

internal sealed class AlertWebhookConfiguration : IEntityTypeConfiguration<AlertWebhook>
{
    public void Configure(EntityTypeBuilder<AlertWebhook> b)
    {
        b.ToTable("alert_webhooks");
        b.HasKey(w => w.TenantId);
        b.Property(w => w.TenantId).HasColumnName("tenant_id").HasMaxLength(64);
        b.Property(w => w.Url).HasColumnName("url").HasMaxLength(2048);
        b.Property(w => w.SealedSecret).HasColumnName("sealed_secret");
        b.Property(w => w.MasterKeyVersion).HasColumnName("master_key_version");
        b.Property(w => w.CreatedAt).HasColumnName("created_at");
        b.Property(w => w.UpdatedAt).HasColumnName("updated_at");
        b.Property(w => w.SecretRotatedAt).HasColumnName("secret_rotated_at");
        b.HasOne<Tenant>().WithMany().HasForeignKey(w => w.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}
