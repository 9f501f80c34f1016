using AgentCloud.ControlPlane.Infrastructure;
using AgentCloud.ControlPlane.Infrastructure.Entities;
using Microsoft.EntityFrameworkCore;

namespace AgentCloud.ControlPlane.Domain;

/// <summary>A rotation done: the new key (shown once), until when the replaced secret is still accepted, and whether every Gateway was told.</summary>
public sealed record RotatedKey(ApiKey Key, string Plaintext, DateTimeOffset? PreviousValidUntil, bool Published = false);

/// <summary>
/// The outcome of asking for a rotation: the rotated key, or why it may not be rotated (null result: no such key).
/// <c>Forbidden</c>: the caller may not rotate this key (it would hand the caller a secret stronger than its own).
/// </summary>
public sealed record KeyRotationOutcome(RotatedKey? Rotated, string? Conflict, string? Forbidden = null);

/// <summary>
/// Rotation without downtime: a key keeps its id, prefix, capabilities and limits and gets a new secret; the secret it
/// replaced stays valid for a grace period the caller chooses (at most <see cref="MaxGrace"/>), then is refused
/// everywhere. Only one previous secret is kept: rotating again ends the older one's grace at once.
/// </summary>
public sealed class ApiKeyRotation(TenantDb db, AuditLog audit, PlatformEvents events, TimeProvider time)
{
    public static readonly TimeSpan MaxGrace = TimeSpan.FromHours(24);

    public async Task<KeyRotationOutcome?> RotateAsync(string tenantId, string keyId, TimeSpan grace, string actor, CancellationToken ct,
        Func<ApiKey, string?>? refuseCaller = null)
    {
        var outcome = await db.InTenantAsync(tenantId, async ctx =>
        {
            var key = await ctx.ApiKeys.SingleOrDefaultAsync(k => k.Id == keyId && k.TenantId == tenantId, ct);
            if (key is null)
            {
                return null;
            }
            if (refuseCaller?.Invoke(key) is { } forbidden)
            {
                return new KeyRotationOutcome(null, null, forbidden);
            }
            var now = time.GetUtcNow();
            now = now.AddTicks(-(now.Ticks % 10)); // Postgres keeps microseconds: the answer and the stored instant agree exactly
            var conflict = key.RevokedAt is not null ? $"Key '{keyId}' is revoked; create a new key instead."
                : key.ExpiresAt <= now ? $"Key '{keyId}' has expired; create a new key instead."
                : key.RunId is not null ? $"Key '{keyId}' is a run key: it lives and dies with its run and is never rotated."
                : null;
            if (conflict is not null)
            {
                return new KeyRotationOutcome(null, conflict);
            }
            var plaintext = ApiKeyFormat.WithPrefix(key.Prefix);
            DateTimeOffset? previousValidUntil = grace > TimeSpan.Zero ? now + grace : null;
            key.PreviousHash = previousValidUntil is null ? null : key.Hash;
            key.PreviousHashValidUntil = previousValidUntil;
            key.Hash = ApiKeyFormat.Hash(plaintext);
            key.RotatedAt = now;
            await audit.AppendAsync(ctx, tenantId, actor, "key.rotated", new { keyId, graceSeconds = (long)grace.TotalSeconds, previousValidUntil }, ct);
            return new KeyRotationOutcome(new RotatedKey(key, plaintext, previousValidUntil), null);
        }, ct);
        if (outcome?.Rotated is { } rotated)
        {
            // Every Gateway drops what it cached for this key, so the old secret's answer is re-read with its grace bound.
            return outcome with { Rotated = rotated with { Published = await events.KeyRevokedAsync(keyId) } };
        }
        return outcome;
    }
}
