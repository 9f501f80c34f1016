using AgentCloud.ControlPlane.Infrastructure.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AgentCloud.ControlPlane.Infrastructure.EntityConfigurations;

internal sealed class VaultKeyConfiguration : IEntityTypeConfiguration<VaultKey>
{
    public void Configure(EntityTypeBuilder<VaultKey> b)
    {
        b.ToTable("vault_keys");
        b.HasKey(k => new { k.TenantId, k.MasterKeyVersion });
        b.Property(k => k.TenantId).HasColumnName("tenant_id").HasMaxLength(64);
        b.Property(k => k.MasterKeyVersion).HasColumnName("master_key_version");
        b.Property(k => k.WrappedKey).HasColumnName("wrapped_key");
        b.Property(k => k.CreatedAt).HasColumnName("created_at");
        b.HasOne<Tenant>().WithMany().HasForeignKey(k => k.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}
