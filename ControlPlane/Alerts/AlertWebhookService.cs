using AgentCloud.ControlPlane.Domain;
using AgentCloud.ControlPlane.Infrastructure;
using AgentCloud.ControlPlane.Infrastructure.Entities;
using Microsoft.EntityFrameworkCore;

namespace AgentCloud.ControlPlane.Alerts;

/// <summary>A webhook change: the webhook, the new secret when one was made (shown this once), or why it failed.</summary>
public sealed record WebhookChange(AlertWebhook? Webhook, string? NewSecret, bool Created, bool UnknownTenant = false);

/// <summary>
/// A tenant's alert webhook: its URL (checked by the caller with <see cref="WebhookAddressRules"/>) and its signing secret,
/// made here, sealed with the tenant's data key and shown only in the answer that made it. Every change is audited,
/// never with the secret.
/// </summary>
public sealed class AlertWebhookService(TenantDb db, CredentialVault vault, AuditLog audit, TimeProvider time)
{
    /// <summary>What the secret's seal is bound to, so it opens as nothing else.</summary>
    public const string SecretPurpose = "alert-webhook-secret";

    public Task<AlertWebhook?> GetAsync(string tenantId, CancellationToken ct) =>
        db.InTenantAsync(tenantId, c => c.AlertWebhooks.AsNoTracking().SingleOrDefaultAsync(w => w.TenantId == tenantId, ct), ct);

    public Task<bool> TenantExistsAsync(string tenantId, CancellationToken ct) =>
        db.InTenantAsync(tenantId, c => c.Tenants.AnyAsync(t => t.Id == tenantId, ct), ct);

    /// <summary>Sets the URL; a tenant's first webhook gets a new secret, a changed URL keeps the one it has.</summary>
    public async Task<WebhookChange> PutAsync(string tenantId, string url, string actor, CancellationToken ct)
    {
        try
        {
            return await WriteAsync(tenantId, url, actor, ct);
        }
        catch (DbUpdateException e) when (e.InnerException is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation })
        {
            // Two first PUTs raced (or the tenant's first data key): the row exists now, so this one updates it.
            return await WriteAsync(tenantId, url, actor, ct);
        }
    }

    private Task<WebhookChange> WriteAsync(string tenantId, string url, string actor, CancellationToken ct) => db.InTenantAsync(tenantId, async c =>
    {
        if (!await c.Tenants.AnyAsync(t => t.Id == tenantId, ct))
        {
            return new WebhookChange(null, null, false, UnknownTenant: true);
        }
        var now = time.GetUtcNow();
        var webhook = await c.AlertWebhooks.SingleOrDefaultAsync(w => w.TenantId == tenantId, ct);
        string? secret = null;
        if (webhook is null)
        {
            secret = WebhookSignature.NewSecret();
            var (sealedSecret, version) = await vault.SealAsync(c, tenantId, SecretPurpose, secret, ct);
            webhook = new AlertWebhook
            {
                TenantId = tenantId, Url = url, SealedSecret = sealedSecret, MasterKeyVersion = version, CreatedAt = now, SecretRotatedAt = now,
            };
            c.AlertWebhooks.Add(webhook);
        }
        webhook.Url = url;
        webhook.UpdatedAt = now;
        await c.SaveChangesAsync(ct);
        await audit.AppendAsync(c, tenantId, actor, secret is null ? "alerts.webhook-updated" : "alerts.webhook-created", new { url }, ct);
        return new WebhookChange(webhook, secret, secret is not null);
    }, ct);

    /// <summary>A new secret for the tenant's webhook; the old one signs nothing from then on. Null webhook when there is none.</summary>
    public Task<WebhookChange> RotateSecretAsync(string tenantId, string actor, CancellationToken ct) => db.InTenantAsync(tenantId, async c =>
    {
        var webhook = await c.AlertWebhooks.SingleOrDefaultAsync(w => w.TenantId == tenantId, ct);
        if (webhook is null)
        {
            return new WebhookChange(null, null, false);
        }
        var secret = WebhookSignature.NewSecret();
        (webhook.SealedSecret, webhook.MasterKeyVersion) = await vault.SealAsync(c, tenantId, SecretPurpose, secret, ct);
        webhook.SecretRotatedAt = webhook.UpdatedAt = time.GetUtcNow();
        await c.SaveChangesAsync(ct);
        await audit.AppendAsync(c, tenantId, actor, "alerts.secret-rotated", new { webhook.Url }, ct);
        return new WebhookChange(webhook, secret, false);
    }, ct);

    public Task<bool> DeleteAsync(string tenantId, string actor, CancellationToken ct) => db.InTenantAsync(tenantId, async c =>
    {
        if (await c.AlertWebhooks.Where(w => w.TenantId == tenantId).ExecuteDeleteAsync(ct) == 0)
        {
            return false;
        }
        await audit.AppendAsync(c, tenantId, actor, "alerts.webhook-deleted", new { }, ct);
        return true;
    }, ct);

    /// <summary>Where to send the tenant's alerts and the secret to sign them with, for the delivery worker only; null when it has no webhook.</summary>
    public Task<(string Url, string Secret)?> RevealAsync(string tenantId, CancellationToken ct) => db.InTenantAsync<(string, string)?>(tenantId, async c =>
    {
        var webhook = await c.AlertWebhooks.AsNoTracking().SingleOrDefaultAsync(w => w.TenantId == tenantId, ct);
        if (webhook is null)
        {
            return null;
        }
        return (webhook.Url, await vault.OpenAsync(c, tenantId, SecretPurpose, webhook.SealedSecret, webhook.MasterKeyVersion, ct));
    }, ct);
}
