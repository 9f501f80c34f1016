using System.Security.Cryptography;
using AgentCloud.ControlPlane.Infrastructure;
using AgentCloud.ControlPlane.Infrastructure.Entities;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Faults;
using Microsoft.EntityFrameworkCore;

namespace AgentCloud.ControlPlane.Domain;

/// <summary>A key just created: <see cref="Plaintext"/> exists only in this answer.</summary>
public sealed record CreatedKey(ApiKey Key, string Plaintext);

/// <summary>The outcome of asking for a key: the key, or why it may not be made (null result: no such tenant).</summary>
public sealed record KeyCreation(CreatedKey? Created, string? Refusal);

/// <summary>
/// Issues, lists, revokes and resolves API keys. A failed use of a tenant's key (revoked, expired, wrong secret,
/// suspended tenant) is counted for that tenant's trail, which gets one entry per window (<see cref="RefusedKeyTally"/>);
/// keys that name no tenant are counted by the Gateways in the platform's trail.
/// </summary>
public sealed class ApiKeyService(TenantDb db, AuditLog audit, PlatformEvents events, RefusedKeyTally refusals, ResolvedKeyCache resolvedKeys, ModelCatalog models, TimeProvider time)
{
    public Task<KeyCreation?> CreateAsync(string tenantId, string name, IReadOnlyList<string?>? capabilities, string actor, CancellationToken ct,
        string? defaultLane = null, DateTimeOffset? expiresAt = null, int? requestsPerMinute = null, long? tokensPerMinute = null, string? projectId = null,
        decimal? dollarBudget = null, string? dollarBudgetPeriod = null, string? dollarBudgetKeyId = null) =>
        db.InTenantAsync(tenantId, async ctx =>
        {
            var tenant = await TenantDirectory.LoadAsync(ctx, tenantId, ct);
            if (tenant is null)
            {
                return null;
            }
            var requested = capabilities ?? Capabilities.Basic;
            var tools = TenantPolicies.Compose(tenant, models).Tools;
            if (Capabilities.Refused(requested, tools) is { } refused)
            {
                return new KeyCreation(null, $"Capability '{TenantValidation.Clip(refused)}' cannot be granted: use {string.Join(", ", CapabilityCatalogue.Fixed)} or tool:<name> for a tool on the tenant's allowlist ({(tools.Count == 0 ? "empty" : string.Join(", ", tools))}).");
            }
            // Another tenant's project and a deleted one are the same to the caller: not there.
            if (projectId is not null && !await ctx.Projects.AnyAsync(p => p.Id == projectId && p.TenantId == tenantId && p.DeletedAt == null, ct))
            {
                return new KeyCreation(null, $"There is no project '{TenantValidation.Clip(projectId)}' in this tenant (see GET /v1/projects).");
            }
            var (prefix, plaintext) = ApiKeyFormat.Generate();
            var key = new ApiKey
            {
                Id = "key_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
                TenantId = tenantId, Name = name.Trim(), Prefix = prefix, Hash = ApiKeyFormat.Hash(plaintext),
                Capabilities = requested.Select(c => c!).Distinct().ToList(), CreatedAt = time.GetUtcNow(),
                DefaultLane = defaultLane ?? Lanes.Interactive, ExpiresAt = expiresAt,
                RequestsPerMinute = requestsPerMinute, TokensPerMinute = tokensPerMinute, ProjectId = projectId,
                DollarBudget = dollarBudget, DollarBudgetPeriod = dollarBudget is null ? null : BudgetValidation.PeriodName(dollarBudgetPeriod),
                DollarBudgetKeyId = dollarBudget is null ? null : dollarBudgetKeyId,
            };
            ctx.ApiKeys.Add(key);
            await audit.AppendAsync(ctx, tenantId, actor, "key.created", new { keyId = key.Id, key.Name, key.Prefix, key.Capabilities, key.DefaultLane, key.ExpiresAt, key.RequestsPerMinute, key.TokensPerMinute, key.ProjectId, key.DollarBudget, key.DollarBudgetPeriod }, ct);
            return new KeyCreation(new CreatedKey(key, plaintext), null);
        }, ct);

    /// <summary>The key id of a key principal (<c>key:&lt;id&gt;</c>), or null for any other principal.</summary>
    public static string? KeyIdOf(string principal) => principal.StartsWith("key:", StringComparison.Ordinal) ? principal["key:".Length..] : null;

    public Task<List<ApiKey>?> ListAsync(string tenantId, CancellationToken ct) =>
        db.InTenantAsync(tenantId, async ctx =>
            await ctx.Tenants.AnyAsync(t => t.Id == tenantId, ct)
                ? await ctx.ApiKeys.AsNoTracking().Where(k => k.TenantId == tenantId).OrderBy(k => k.CreatedAt).ToListAsync(ct)
                : null, ct);

    /// <summary>
    /// Revokes the key (again, if it already was) and tells every Gateway. Null if the tenant has no such key;
    /// false if the revocation is stored but Redis could not be told.
    /// </summary>
    public async Task<bool?> RevokeAsync(string tenantId, string keyId, string actor, CancellationToken ct)
    {
        var found = await db.InTenantAsync(tenantId, async ctx =>
        {
            var key = await ctx.ApiKeys.SingleOrDefaultAsync(k => k.Id == keyId && k.TenantId == tenantId, ct);
            if (key is null)
            {
                return false;
            }
            if (key.RevokedAt is null)
            {
                key.RevokedAt = time.GetUtcNow();
                await audit.AppendAsync(ctx, tenantId, actor, "key.revoked", new { keyId }, ct);
            }
            return true;
        }, ct);
        return found ? await events.KeyRevokedAsync(keyId) : null;
    }

    /// <summary>
    /// The tenant context a key stands for, with the tenant's full policy and its project's budget; null for a malformed, unknown,
    /// revoked, expired or mismatching key, a key of a deleted project, or a suspended tenant. While Postgres is away, a key resolved recently is answered from
    /// <see cref="ResolvedKeyCache"/>; any other throws <see cref="StoreUnavailableException"/> (503, Retry-After 1 s).
    /// </summary>
    public async Task<ResolvedKey?> ResolveAsync(string presented, string actor, CancellationToken ct)
    {
        var generation = resolvedKeys.Generation;
        ResolvedKey? resolved;
        try
        {
            resolved = await ResolveFromStoreAsync(presented, actor, ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested && StoreDeadline.IsStoreAway(e))
        {
            return resolvedKeys.Stale(presented) ?? throw new StoreUnavailableException("key", TimeSpan.FromSeconds(1), e);
        }
        if (resolved is null)
        {
            resolvedKeys.Forget(presented);
        }
        else
        {
            resolvedKeys.Remember(presented, resolved, generation);
        }
        return resolved;
    }

    /// <summary>One read-only transaction; refusals are only counted (see the class summary).</summary>
    private Task<ResolvedKey?> ResolveFromStoreAsync(string presented, string actor, CancellationToken ct) =>
        db.InPlatformScopeAsync(async ctx =>
        {
            if (!ApiKeyFormat.TryGetPrefix(presented, out var prefix))
            {
                return null;
            }
            var key = await ctx.ApiKeys.AsNoTracking().SingleOrDefaultAsync(k => k.Prefix == prefix, ct);
            if (key is null)
            {
                return null;
            }
            var tenant = await TenantDirectory.LoadAsync(ctx, key.TenantId, ct);
            var project = key.ProjectId is null ? null : await ctx.Projects.AsNoTracking().SingleOrDefaultAsync(p => p.Id == key.ProjectId, ct);
            var now = time.GetUtcNow();
            var current = ApiKeyFormat.Matches(presented, key.Hash);
            var previous = !current && key.PreviousHash is { } old && ApiKeyFormat.Matches(presented, old);
            var reason = !current && !previous ? "secret does not match"
                : previous && !(key.PreviousHashValidUntil > now) ? "secret rotated out"
                : key.RevokedAt is not null ? "revoked"
                : key.ExpiresAt <= now ? "expired"
                : tenant is null ? "tenant offboarded"
                : tenant.Status != TenantStatus.Active ? $"tenant {tenant.Status}"
                : key.ProjectId is not null && project?.DeletedAt is not null ? "project deleted"
                : null;
            if (reason is not null)
            {
                refusals.Count(key.TenantId, actor, key.Id, reason);
                return null;
            }
            var policy = TenantPolicies.Compose(tenant!, models);
            // A rotated-out secret is trusted only until its grace ends, by every cache that holds the answer.
            var validUntil = previous && key.PreviousHashValidUntil < (key.ExpiresAt ?? DateTimeOffset.MaxValue) ? key.PreviousHashValidUntil : key.ExpiresAt;
            return new ResolvedKey(key.Id, key.TenantId, policy.Tier, $"key:{key.Id}", key.Capabilities, key.RunId, policy,
                key.DefaultLane ?? Lanes.Interactive, validUntil, key.RequestsPerMinute ?? 0, key.TokensPerMinute ?? 0,
                key.ProjectId, project?.TokensPerMinute ?? 0, KeyBudgets.Of(project, key));
        }, ct);
}
