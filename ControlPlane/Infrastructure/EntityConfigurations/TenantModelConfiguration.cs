using AgentCloud.ControlPlane.Infrastructure.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AgentCloud.ControlPlane.Infrastructure.EntityConfigurations;

internal sealed class TenantModelConfiguration : IEntityTypeConfiguration<TenantModel>
{
    public void Configure(EntityTypeBuilder<TenantModel> b)
    {
        b.ToTable("tenant_models");
        b.HasKey(m => new { m.TenantId, m.ModelId });
        b.Property(m => m.TenantId).HasColumnName("tenant_id").HasMaxLength(64);
        b.Property(m => m.ModelId).HasColumnName("model_id").HasMaxLength(128);
        b.Property(m => m.MaxContextTokens).HasColumnName("max_context_tokens");
    }
}
