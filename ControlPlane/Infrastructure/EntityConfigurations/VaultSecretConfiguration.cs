using AgentCloud.ControlPlane.Infrastructure.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AgentCloud.ControlPlane.Infrastructure.EntityConfigurations;

internal sealed class VaultSecretConfiguration : IEntityTypeConfiguration<VaultSecret>
{
    public void Configure(EntityTypeBuilder<VaultSecret> b)
    {
        b.ToTable("vault_secrets");
        b.HasKey(s => new { s.TenantId, s.Integration });
        b.Property(s => s.TenantId).HasColumnName("tenant_id").HasMaxLength(64);
        b.Property(s => s.Integration).HasColumnName("integration").HasMaxLength(64);
        b.Property(s => s.Sealed).HasColumnName("sealed");
        b.Property(s => s.MasterKeyVersion).HasColumnName("master_key_version");
        b.Property(s => s.UpdatedAt).HasColumnName("updated_at");
        b.HasOne<Tenant>().WithMany().HasForeignKey(s => s.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}
