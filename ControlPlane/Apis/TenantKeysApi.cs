using AgentCloud.Platform.Budgets;
using AgentCloud.ControlPlane.Domain;
using AgentCloud.ControlPlane.Infrastructure.Entities;
using AgentCloud.Platform;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCloud.ControlPlane.Apis;

/// <summary>
/// A tenant's own keys (<c>/v1/keys</c>), for a key holding <c>keys:admin</c>: list, create, revoke and rotate, always
/// within the caller's tenant. A key never grants more than it holds, so this is no way around the operator's grants;
/// a key of a project makes keys of its own project only; a run's key and a service calling on a tenant's behalf manage nothing.
/// </summary>
public static class TenantKeysApi
{
    public static RouteGroupBuilder MapTenantKeysApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/keys").AddEndpointFilter<KeysAdminOnly>();
        api.MapGet("", ListKeys);
        api.MapPost("", CreateKey);
        api.MapDelete("{keyId}", RevokeKey);
        api.MapPost("{keyId}/rotate", RotateKey);
        return api;
    }

    public static async Task<Results<Ok<List<KeyResponse>>, ProblemHttpResult>> ListKeys(TenantContext ctx, ApiKeyService keys, CancellationToken ct) =>
        await keys.ListAsync(ctx.TenantId, ct) is { } list ? TypedResults.Ok(list.Select(KeyResponse.From).ToList()) : TenantsApi.NoSuchTenant(ctx.TenantId);

    public static async Task<Results<Created<CreatedKeyResponse>, ProblemHttpResult>> CreateKey(
        CreateKeyRequest request, TenantContext ctx, ApiKeyService keys, TimeProvider time, CancellationToken ct)
    {
        if (KeyRequests.RefuseCreate(request, time.GetUtcNow()) is { } refusal)
        {
            return Problems.BadRequest(refusal);
        }
        // Without a list, the new key gets the defaults the caller holds itself; with one, only what the caller holds.
        var requested = request.Capabilities ?? Capabilities.Basic.Where(ctx.Has).ToList<string?>();
        if (requested.Where(c => c is null || !ctx.Has(c)).Select(c => c ?? "null").FirstOrDefault() is { } beyond)
        {
            return Problems.Forbidden($"A key may grant only capabilities it holds itself; this key does not hold '{TenantValidation.Clip(beyond)}'.");
        }
        // A key of a project makes keys of that project only: otherwise it could mint its way out of the project's budget.
        var projectId = request.ProjectId ?? ctx.ProjectId;
        if (ctx.ProjectId is not null && projectId != ctx.ProjectId)
        {
            return Problems.Forbidden($"This key belongs to project '{ctx.ProjectId}' and may create keys of that project only.");
        }
        // Likewise a key with a dollar budget makes keys that share it (one budget, not one more of the same size).
        var (dollarBudget, dollarBudgetPeriod, dollarBudgetKeyId) = (request.DollarBudget, request.DollarBudgetPeriod, (string?)null);
        if (ctx.Budgets is { KeyMicrodollars: > 0 } own)
        {
            if (request.DollarBudget is not null)
            {
                return Problems.Forbidden("This key has a dollar budget: the keys it makes share that budget and cannot be given one of their own.");
            }
            (dollarBudget, dollarBudgetPeriod) = (PeriodBudgets.ToDollars(own.KeyMicrodollars), own.KeyPeriod.Name());
            dollarBudgetKeyId = own.KeyBudgetOwner ?? ApiKeyService.KeyIdOf(ctx.Principal);
        }
        var creation = await keys.CreateAsync(ctx.TenantId, request.Name!, requested, ctx.Principal, ct, request.DefaultLane, request.ExpiresAt,
            request.RequestsPerMinute, request.TokensPerMinute, projectId,
            dollarBudget, dollarBudgetPeriod, dollarBudgetKeyId);
        if (creation is null)
        {
            return TenantsApi.NoSuchTenant(ctx.TenantId);
        }
        if (creation.Refusal is not null)
        {
            return Problems.BadRequest(creation.Refusal);
        }
        return TypedResults.Created($"/v1/keys/{creation.Created!.Key.Id}", KeyRequests.Created(creation.Created));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> RevokeKey(string keyId, TenantContext ctx, ApiKeyService keys, HttpResponse response, CancellationToken ct)
    {
        switch (await keys.RevokeAsync(ctx.TenantId, keyId, ctx.Principal, ct))
        {
            case null:
                return Problems.NotFound($"There is no key '{TenantValidation.Clip(keyId)}'.");
            case false:
                return Problems.Create(StatusCodes.Status503ServiceUnavailable, "revocation-not-published", "Revocation not yet published",
                    "The key is revoked in the store, but the Gateways could not be told (Redis unavailable); repeat the DELETE to publish it again.");
            default:
                // The Gateway forwarding this answer drops the key from its cache before the 204 reaches the caller.
                response.Headers[PlatformHeaders.RevokedKeys] = keyId;
                return TypedResults.NoContent();
        }
    }

    public static async Task<Results<Ok<RotatedKeyResponse>, ProblemHttpResult>> RotateKey(string keyId, RotateKeyRequest? request,
        TenantContext ctx, ApiKeyRotation rotation, HttpResponse response, CancellationToken ct)
    {
        var (grace, refusal) = KeyRequests.GraceOf(request);
        return refusal is not null ? Problems.BadRequest(refusal)
            : KeyRequests.Rotated(response, keyId, await rotation.RotateAsync(ctx.TenantId, keyId, grace, ctx.Principal, ct, key => RefuseRotation(ctx, key)));
    }

    /// <summary>
    /// A rotation answers with the key's new secret, so a caller may rotate only a key it could have made itself: none
    /// holding a capability the caller lacks, none outside the caller's project.
    /// </summary>
    private static string? RefuseRotation(TenantContext ctx, ApiKey key) =>
        key.Capabilities.FirstOrDefault(c => !ctx.Has(c)) is { } stronger
            ? $"Key '{key.Id}' holds '{TenantValidation.Clip(stronger)}', which this key does not: rotating it would hand this key a stronger secret."
            : ctx.ProjectId is not null && key.ProjectId != ctx.ProjectId
                ? $"This key belongs to project '{ctx.ProjectId}' and may rotate keys of that project only."
                : null;

    /// <summary>Only a tenant's own key with <c>keys:admin</c>, called through the Gateway by the tenant itself.</summary>
    private sealed class KeysAdminOnly : IEndpointFilter
    {
        public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
        {
            var caller = context.HttpContext.Features.Get<TenantContext>();
            if (caller is null || caller.TenantId == TenantContext.PlatformTenantId || !caller.Has(Capabilities.KeysAdmin) || caller.RunId is not null || caller.Via is not null)
            {
                return ValueTask.FromResult<object?>(Problems.Forbidden(
                    $"Managing keys needs the '{Capabilities.KeysAdmin}' capability on a tenant's own key (never a run's key); the operator uses /admin/v1/tenants/{{id}}/keys."));
            }
            return next(context);
        }
    }
}
