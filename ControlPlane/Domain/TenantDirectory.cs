using System.Security.Cryptography;
using AgentCloud.ControlPlane.Infrastructure;
using AgentCloud.ControlPlane.Infrastructure.Entities;
using AgentCloud.Platform.Contracts;
using Microsoft.EntityFrameworkCore;

namespace AgentCloud.ControlPlane.Domain;

/// <summary>A tenant with its effective policy.</summary>
public sealed record TenantView(Tenant Tenant, TenantPolicy Policy, PolicyOverrides Overrides);

/// <summary>
/// Creates, reads, changes and offboards tenants. Every call on one tenant runs in that tenant's row-level
/// security scope; only the list runs in the platform scope. Specs are validated by the caller first.
/// </summary>
public sealed class TenantDirectory(TenantDb db, AuditLog audit, PlatformEvents events, ModelCatalog models, TimeProvider time)
{
    public Task<TenantView> CreateAsync(TenantSpec spec, string actor, CancellationToken ct)
    {
        var id = "t_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        return db.InTenantAsync(id, async ctx =>
        {
            var now = time.GetUtcNow();
            var tenant = new Tenant
            {
                Id = id, Name = spec.Name!.Trim(), Tier = spec.Tier!, Status = TenantStatus.Active,
                PolicyOverrides = TenantPolicies.Serialize(PolicyOverrides.None.Then(spec.Policy, spec.Isolation)),
                CreatedAt = now, UpdatedAt = now,
            };
            Apply(tenant, spec);
            ctx.Tenants.Add(tenant);
            await audit.AppendAsync(ctx, id, actor, "tenant.created", new { spec.Name, spec.Tier, spec.Models, spec.Tools, spec.Egress, spec.Isolation, spec.Policy }, ct);
            return View(tenant);
        }, ct);
    }

    public Task<TenantView?> GetAsync(string tenantId, CancellationToken ct) =>
        db.InTenantAsync(tenantId, async ctx => await LoadAsync(ctx, tenantId, ct) is { } t ? View(t) : null, ct);

    public Task<List<TenantView>> ListAsync(CancellationToken ct) =>
        db.InPlatformScopeAsync(async ctx =>
        {
            var tenants = await ctx.Tenants.AsNoTracking().Include(t => t.Models).Include(t => t.Allowlist)
                .OrderBy(t => t.CreatedAt).ThenBy(t => t.Id).ToListAsync(ct);
            return tenants.Select(View).ToList();
        }, ct);

    /// <summary>The tenant's effective policy, read in its own scope; null if it does not exist.</summary>
    public Task<TenantPolicy?> PolicyAsync(string tenantId, CancellationToken ct) =>
        db.InTenantAsync(tenantId, async ctx => await LoadAsync(ctx, tenantId, ct) is { } t ? TenantPolicies.Compose(t, models) : null, ct);

    /// <summary>
    /// Changes the tenant and tells every service at once (Gateways drop its cached keys, policy caches drop it). A
    /// suspension also revokes the tenant's run keys in the same transaction and has the SandboxBroker end its sandboxes.
    /// </summary>
    public async Task<TenantView?> UpdateAsync(string tenantId, TenantSpec spec, string actor, CancellationToken ct)
    {
        List<string> revokedRunKeys = [];
        var suspending = false;
        var view = await db.InTenantAsync(tenantId, async ctx =>
        {
            var tenant = await LoadAsync(ctx, tenantId, ct);
            if (tenant is null)
            {
                return null;
            }
            suspending = spec.Status == TenantStatus.Suspended && tenant.Status != TenantStatus.Suspended;
            if (suspending)
            {
                revokedRunKeys = await RevokeRunKeysAsync(ctx, tenantId, actor, ct);
            }
            if (spec.Name is not null) tenant.Name = spec.Name.Trim();
            if (spec.Tier is not null) tenant.Tier = spec.Tier;
            if (spec.Status is not null) tenant.Status = spec.Status;
            tenant.PolicyOverrides = TenantPolicies.Serialize(TenantPolicies.OverridesOf(tenant).Then(spec.Policy, spec.Isolation));
            Apply(tenant, spec);
            tenant.UpdatedAt = time.GetUtcNow();
            await audit.AppendAsync(ctx, tenantId, actor, "tenant.updated", new { spec.Name, spec.Tier, spec.Status, spec.Models, spec.Tools, spec.Egress, spec.Isolation, spec.Policy }, ct);
            return View(tenant);
        }, ct);
        if (view is not null)
        {
            foreach (var keyId in revokedRunKeys)
            {
                await events.KeyRevokedAsync(keyId);
            }
            await events.PolicyChangedAsync(tenantId);
            if (suspending)
            {
                await events.TenantSuspendedAsync(tenantId);
            }
        }
        return view;
    }

    /// <summary>A suspended tenant's runs end: their keys are revoked for good (reactivation does not revive them).</summary>
    private async Task<List<string>> RevokeRunKeysAsync(ControlPlaneDbContext ctx, string tenantId, string actor, CancellationToken ct)
    {
        var keys = await ctx.ApiKeys.Where(k => k.TenantId == tenantId && k.RunId != null && k.RevokedAt == null).ToListAsync(ct);
        foreach (var key in keys)
        {
            key.RevokedAt = time.GetUtcNow();
            await audit.AppendAsync(ctx, tenantId, actor, "key.revoked", new { keyId = key.Id, runId = key.RunId, reason = "tenant suspended" }, ct);
        }
        return keys.Select(k => k.Id).ToList();
    }

    /// <summary>Revokes the tenant's keys and deletes its rows and vault entries in one transaction, then tells every service. Null if unknown.</summary>
    public async Task<IReadOnlyList<string>?> OffboardAsync(string tenantId, string actor, CancellationToken ct)
    {
        var revoked = await db.InTenantAsync(tenantId, async ctx =>
        {
            if (!await ctx.Tenants.AnyAsync(t => t.Id == tenantId, ct))
            {
                return null;
            }
            var keyIds = await ctx.ApiKeys.Where(k => k.TenantId == tenantId).Select(k => k.Id).ToListAsync(ct);
            await ctx.ApiKeys.Where(k => k.TenantId == tenantId).ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, time.GetUtcNow()), ct);
            var secrets = await ctx.VaultSecrets.Where(s => s.TenantId == tenantId).ExecuteDeleteAsync(ct);
            await ctx.VaultKeys.Where(k => k.TenantId == tenantId).ExecuteDeleteAsync(ct);
            await ctx.ApiKeys.Where(k => k.TenantId == tenantId).ExecuteDeleteAsync(ct);
            await ctx.Projects.Where(p => p.TenantId == tenantId).ExecuteDeleteAsync(ct);
            await ctx.AlertWebhooks.Where(w => w.TenantId == tenantId).ExecuteDeleteAsync(ct);
            await ctx.AlertDeliveries.Where(d => d.TenantId == tenantId).ExecuteDeleteAsync(ct);
            await ctx.TenantModels.Where(m => m.TenantId == tenantId).ExecuteDeleteAsync(ct);
            await ctx.Allowlist.Where(a => a.TenantId == tenantId).ExecuteDeleteAsync(ct);
            await ctx.Tenants.Where(t => t.Id == tenantId).ExecuteDeleteAsync(ct);
            await audit.AppendAsync(ctx, tenantId, actor, "tenant.offboarded", new { revokedKeys = keyIds, deletedSecrets = secrets }, ct);
            return keyIds;
        }, ct);
        if (revoked is null)
        {
            return null;
        }
        foreach (var keyId in revoked)
        {
            await events.KeyRevokedAsync(keyId);
        }
        await events.TenantOffboardedAsync(tenantId);
        return revoked;
    }

    internal static Task<Tenant?> LoadAsync(ControlPlaneDbContext ctx, string tenantId, CancellationToken ct) =>
        ctx.Tenants.Include(t => t.Models).Include(t => t.Allowlist).SingleOrDefaultAsync(t => t.Id == tenantId, ct);

    private TenantView View(Tenant t) => new(t, TenantPolicies.Compose(t, models), TenantPolicies.OverridesOf(t));

    /// <summary>Given models, tools or egress replace the tenant's own lists (and stop the tier's defaults applying); rows are diffed, not recreated.</summary>
    private void Apply(Tenant tenant, TenantSpec spec)
    {
        if (spec.Models is not null)
        {
            tenant.CustomModels = true;
            var wanted = spec.Models.Select(m => m!.ToEntitlement(models)).ToDictionary(e => e.Id, StringComparer.Ordinal);
            tenant.Models.RemoveAll(m => !wanted.ContainsKey(m.ModelId));
            foreach (var (id, entitlement) in wanted)
            {
                var row = tenant.Models.Find(m => m.ModelId == id);
                if (row is null)
                {
                    tenant.Models.Add(row = new TenantModel { TenantId = tenant.Id, ModelId = id });
                }
                row.MaxContextTokens = entitlement.MaxContextTokens;
            }
        }
        ReplaceAllowlist(tenant, AllowlistEntry.Tool, spec.Tools, custom => tenant.CustomTools = custom);
        ReplaceAllowlist(tenant, AllowlistEntry.Egress, spec.Egress, custom => tenant.CustomEgress = custom);
    }

    private static void ReplaceAllowlist(Tenant tenant, string kind, IReadOnlyList<string?>? values, Action<bool> markCustom)
    {
        if (values is null)
        {
            return;
        }
        markCustom(true);
        var wanted = values.Select(v => v!).ToHashSet(StringComparer.Ordinal);
        tenant.Allowlist.RemoveAll(a => a.Kind == kind && !wanted.Contains(a.Value));
        foreach (var value in wanted.Where(v => !tenant.Allowlist.Exists(a => a.Kind == kind && a.Value == v)))
        {
            tenant.Allowlist.Add(new AllowlistEntry { TenantId = tenant.Id, Kind = kind, Value = value });
        }
    }
}
