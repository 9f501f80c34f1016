using AgentCloud.ControlPlane.Domain;
using AgentCloud.ControlPlane.Infrastructure;
using AgentCloud.Platform;
using AgentCloud.Platform.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace AgentCloud.ControlPlane.Apis;

/// <summary>
/// The tenant's credential vault: write-only. The tenant is always the caller's own (from its signed context);
/// no answer of this API carries a secret.
/// </summary>
public static class CredentialsApi
{
    public const int MaxSecretLength = 8_192;

    public static RouteGroupBuilder MapCredentialsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/credentials");
        api.MapGet("", ListCredentials);
        api.MapPut("{integration}", PutCredential);
        api.MapDelete("{integration}", DeleteCredential);
        return api;
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> PutCredential(
        string integration, PutCredentialRequest request, TenantContext ctx, TenantDb db, CredentialVault vault, AuditLog audit, CancellationToken ct)
    {
        if (RefuseWrite(ctx, integration) is { } refusal)
        {
            return refusal;
        }
        if (string.IsNullOrEmpty(request.Secret) || request.Secret.Length > MaxSecretLength)
        {
            return Problems.BadRequest($"'secret' is required: a string of 1 to {MaxSecretLength} characters.");
        }
        Task<bool> StoreAsync() => db.InTenantAsync(ctx.TenantId, async c =>
        {
            if (!await TenantExistsAsync(c, ctx.TenantId, ct))
            {
                return false;
            }
            await vault.PutAsync(c, ctx.TenantId, integration, request.Secret, ct);
            await audit.AppendAsync(c, ctx.TenantId, ctx.Principal, "credential.written", new { integration }, ct);
            return true;
        }, ct);
        bool stored;
        try
        {
            stored = await StoreAsync();
        }
        catch (DbUpdateException e) when (e.InnerException is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation })
        {
            // Two first writes of one credential (or the tenant's first data key) raced and the other committed first:
            // the rows exist now, so writing again updates them; the last writer wins, as with any two PUTs.
            stored = await StoreAsync();
        }
        return stored ? TypedResults.NoContent() : NoSuchTenant();
    }

    /// <summary>The names the caller's tenant has stored and when each was last written; the projection reads no secret column.</summary>
    public static async Task<Results<Ok<CredentialListResponse>, ProblemHttpResult>> ListCredentials(TenantContext ctx, TenantDb db, CancellationToken ct)
    {
        if (RefuseCaller(ctx) is { } refusal)
        {
            return refusal;
        }
        var names = await db.InTenantAsync(ctx.TenantId, c => c.VaultSecrets.AsNoTracking()
            .Where(s => s.TenantId == ctx.TenantId)
            .OrderBy(s => s.Integration)
            .Select(s => new CredentialSummary(s.Integration, s.UpdatedAt))
            .ToListAsync(ct), ct);
        return TypedResults.Ok(new CredentialListResponse(names));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteCredential(
        string integration, TenantContext ctx, TenantDb db, AuditLog audit, CancellationToken ct)
    {
        if (RefuseWrite(ctx, integration) is { } refusal)
        {
            return refusal;
        }
        var deleted = await db.InTenantAsync(ctx.TenantId, async c =>
        {
            if (!await CredentialVault.DeleteAsync(c, ctx.TenantId, integration, ct))
            {
                return false;
            }
            await audit.AppendAsync(c, ctx.TenantId, ctx.Principal, "credential.deleted", new { integration }, ct);
            return true;
        }, ct);
        return deleted ? TypedResults.NoContent() : Problems.NotFound($"There is no credential for '{integration}'.");
    }

    /// <summary>
    /// Credentials belong to a tenant: the platform's own contexts have none, and changing them needs
    /// <c>credentials:write</c> on a key that is not a run's (the Gateway checks the capability first; this is the second
    /// wall). Integration names are checked before any lookup.
    /// </summary>
    internal static ProblemHttpResult? RefuseWrite(TenantContext ctx, string integration) => RefuseCaller(ctx) ?? Refuse(ctx, integration);

    /// <summary>Who may change the vault, or list its names: the same tenant keys (the names say which integrations a tenant uses).</summary>
    private static ProblemHttpResult? RefuseCaller(TenantContext ctx)
    {
        if (ctx.TenantId != TenantContext.PlatformTenantId && (!ctx.Has(Capabilities.CredentialsWrite) || ctx.RunId is not null))
        {
            return Problems.Forbidden($"Changing credentials needs the '{Capabilities.CredentialsWrite}' capability on a tenant key (never a run's key).");
        }
        if (ctx.Via is not null)
        {
            // An onward context lets a service read policy or mint run keys for the caller, never change the vault.
            return Problems.Forbidden("Credentials are changed only by the tenant's own call through the Gateway, not by a service on its behalf.");
        }
        return ctx.TenantId == TenantContext.PlatformTenantId
            ? Problems.Forbidden("Credentials belong to a tenant: call with that tenant's API key.")
            : null;
    }

    /// <summary>Credentials belong to a tenant: the platform's own contexts have none; integration names are checked before any lookup.</summary>
    internal static ProblemHttpResult? Refuse(TenantContext ctx, string integration)
    {
        if (ctx.TenantId == TenantContext.PlatformTenantId)
        {
            return Problems.Forbidden("Credentials belong to a tenant: call with that tenant's API key.");
        }
        return TenantValidation.IsToolName(integration)
            ? null
            : Problems.BadRequest($"'{TenantValidation.Clip(integration)}' is not an integration name: lowercase letters, digits, '.', '_' or '-' (at most 64).");
    }

    internal static Task<bool> TenantExistsAsync(ControlPlaneDbContext c, string tenantId, CancellationToken ct) =>
        c.Tenants.AnyAsync(t => t.Id == tenantId, ct);

    internal static ProblemHttpResult NoSuchTenant() => Problems.NotFound("The calling tenant no longer exists.");
}
