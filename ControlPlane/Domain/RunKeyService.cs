using System.Security.Cryptography;
using AgentCloud.ControlPlane.Infrastructure;
using AgentCloud.ControlPlane.Infrastructure.Entities;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace AgentCloud.ControlPlane.Domain;

/// <summary>The outcome of minting a run key: the key, or why not (a 400 for the caller); null: no such tenant.</summary>
public sealed record RunKeyMinting(RunKey? Minted, string? Refusal);

/// <summary>
/// Keys for one agent run: minted when its sandbox is made, in the tenant's own context, with a subset of the caller's
/// capabilities that never includes <c>sandbox</c> (an agent cannot make sandboxes of its own) and a hard expiry;
/// revoked when the run ends. A leaked run key is therefore worth little and for a short time.
/// </summary>
public sealed class RunKeyService(TenantDb db, AuditLog audit, PlatformEvents events, TimeProvider time)
{
    public static readonly TimeSpan MinLifetime = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromHours(24);
    public const int MaxRunIdLength = 64;

    /// <summary>What a run key may carry (tools are checked against the caller's own grants).</summary>
    public static readonly IReadOnlyList<string> Grantable = [Capabilities.Inference, Capabilities.MemoryRead, Capabilities.MemoryWrite];

    public Task<RunKeyMinting?> MintAsync(TenantContext caller, MintRunKeyRequest request, CancellationToken ct)
    {
        if (Refuse(caller, request) is { } refusal)
        {
            return Task.FromResult<RunKeyMinting?>(new RunKeyMinting(null, refusal));
        }
        var capabilities = (request.Capabilities ?? Grantable.Where(caller.Has).ToList()).Select(c => c!).Distinct().ToList();
        var lifetime = TimeSpan.FromSeconds(request.TtlSeconds!.Value);
        return db.InTenantAsync(caller.TenantId, async ctx =>
        {
            var tenant = await TenantDirectory.LoadAsync(ctx, caller.TenantId, ct);
            if (tenant is null || tenant.Status != TenantStatus.Active)
            {
                return null;
            }
            // The run draws on its creator's project and dollar budget: the key that asked for the sandbox (a key of no project: none).
            var creatorKeyId = caller.Principal.StartsWith("key:", StringComparison.Ordinal) ? caller.Principal["key:".Length..] : null;
            var creator = creatorKeyId is null ? null
                : await ctx.ApiKeys.Where(k => k.Id == creatorKeyId && k.TenantId == caller.TenantId)
                    .Select(k => new { k.ProjectId, k.DollarBudget, k.DollarBudgetPeriod, BudgetKeyId = k.DollarBudgetKeyId ?? k.Id }).SingleOrDefaultAsync(ct);
            var projectId = creator?.ProjectId;
            var (prefix, plaintext) = ApiKeyFormat.Generate();
            var now = time.GetUtcNow();
            var key = new ApiKey
            {
                Id = "key_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
                TenantId = caller.TenantId, Name = $"run {request.RunId}", Prefix = prefix, Hash = ApiKeyFormat.Hash(plaintext),
                Capabilities = capabilities, CreatedAt = now, DefaultLane = Lanes.Interactive,
                // Whole seconds: what the answer says is exactly what the database keeps (it stores microseconds).
                RunId = request.RunId, ProjectId = projectId, ExpiresAt = DateTimeOffset.FromUnixTimeSeconds((now + lifetime).ToUnixTimeSeconds()),
                DollarBudget = creator?.DollarBudget, DollarBudgetPeriod = creator?.DollarBudgetPeriod,
                DollarBudgetKeyId = creator?.DollarBudget is null ? null : creator.BudgetKeyId,
            };
            ctx.ApiKeys.Add(key);
            await audit.AppendAsync(ctx, caller.TenantId, caller.Principal, "key.minted-for-run",
                new { keyId = key.Id, runId = key.RunId, key.Capabilities, key.ExpiresAt, key.ProjectId }, ct);
            return new RunKeyMinting(new RunKey(key.Id, plaintext, key.RunId!, key.Capabilities, key.ExpiresAt.Value), null);
        }, ct);
    }

    /// <summary>Revokes every live key of the tenant's run and tells every Gateway; the number revoked.</summary>
    public async Task<int> RevokeRunAsync(string tenantId, string runId, string actor, CancellationToken ct)
    {
        var revoked = await db.InTenantAsync(tenantId, async ctx =>
        {
            var keys = await ctx.ApiKeys.Where(k => k.TenantId == tenantId && k.RunId == runId && k.RevokedAt == null).ToListAsync(ct);
            foreach (var key in keys)
            {
                key.RevokedAt = time.GetUtcNow();
                await audit.AppendAsync(ctx, tenantId, actor, "key.revoked", new { keyId = key.Id, runId, reason = "run ended" }, ct);
            }
            return keys.Select(k => k.Id).ToList();
        }, ct);
        foreach (var keyId in revoked)
        {
            await events.KeyRevokedAsync(keyId);
        }
        return revoked.Count;
    }

    private static string? Refuse(TenantContext caller, MintRunKeyRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.RunId) || request.RunId.Length > MaxRunIdLength || !request.RunId.All(IsRunIdChar))
        {
            return $"'runId' is required: 1 to {MaxRunIdLength} letters, digits, '-' or '_'.";
        }
        if (request.TtlSeconds is not { } ttl || ttl < MinLifetime.TotalSeconds || ttl > MaxLifetime.TotalSeconds)
        {
            return $"'ttlSeconds' is required, from {MinLifetime.TotalSeconds} to {MaxLifetime.TotalSeconds}.";
        }
        if (request.Capabilities is { Count: > TenantValidation.MaxListLength })
        {
            return $"'capabilities' may list at most {TenantValidation.MaxListLength} entries.";
        }
        foreach (var c in request.Capabilities ?? [])
        {
            var grantable = c is not null && (Grantable.Contains(c) || c.StartsWith(Capabilities.ToolPrefix, StringComparison.Ordinal));
            if (!grantable || !caller.Has(c!))
            {
                return $"Capability '{TenantValidation.Clip(c ?? "null")}' cannot be given to a run key: it may carry only the caller's own {string.Join(", ", Grantable)} and tool:<name> capabilities.";
            }
        }
        return null;
    }

    private static bool IsRunIdChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_';
}
