using AgentCloud.ControlPlane.Domain;
using AgentCloud.Platform;
using AgentCloud.Platform.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCloud.ControlPlane.Apis;

/// <summary>The operator's key API: a key is shown once when created and stored only as a hash.</summary>
public static class KeysApi
{
    public static RouteGroupBuilder MapKeysApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/admin/v1/tenants/{tenantId}/keys").AddEndpointFilter<OperatorOnly>();
        api.MapPost("", CreateKey);
        api.MapGet("", ListKeys);
        api.MapDelete("{keyId}", RevokeKey);
        api.MapPost("{keyId}/rotate", RotateKey);
        return api;
    }

    public static async Task<Results<Created<CreatedKeyResponse>, ProblemHttpResult>> CreateKey(
        string tenantId, CreateKeyRequest request, TenantContext ctx, ApiKeyService keys, TimeProvider time, CancellationToken ct)
    {
        if (KeyRequests.RefuseCreate(request, time.GetUtcNow()) is { } refusal)
        {
            return Problems.BadRequest(refusal);
        }
        var creation = await keys.CreateAsync(tenantId, request.Name!, request.Capabilities, ctx.Principal, ct, request.DefaultLane, request.ExpiresAt,
            request.RequestsPerMinute, request.TokensPerMinute, request.ProjectId,
            request.DollarBudget, request.DollarBudgetPeriod);
        if (creation is null)
        {
            return TenantsApi.NoSuchTenant(tenantId);
        }
        if (creation.Refusal is not null)
        {
            return Problems.BadRequest(creation.Refusal);
        }
        return TypedResults.Created($"/admin/v1/tenants/{tenantId}/keys/{creation.Created!.Key.Id}", KeyRequests.Created(creation.Created));
    }

    public static async Task<Results<Ok<RotatedKeyResponse>, ProblemHttpResult>> RotateKey(string tenantId, string keyId, RotateKeyRequest? request,
        TenantContext ctx, ApiKeyRotation rotation, HttpResponse response, CancellationToken ct)
    {
        var (grace, refusal) = KeyRequests.GraceOf(request);
        return refusal is not null ? Problems.BadRequest(refusal)
            : KeyRequests.Rotated(response, keyId, await rotation.RotateAsync(tenantId, keyId, grace, ctx.Principal, ct));
    }

    public static async Task<Results<Ok<List<KeyResponse>>, ProblemHttpResult>> ListKeys(string tenantId, ApiKeyService keys, CancellationToken ct) =>
        await keys.ListAsync(tenantId, ct) is { } list ? TypedResults.Ok(list.Select(KeyResponse.From).ToList()) : TenantsApi.NoSuchTenant(tenantId);

    public static async Task<Results<NoContent, ProblemHttpResult>> RevokeKey(string tenantId, string keyId, TenantContext ctx, ApiKeyService keys, CancellationToken ct) =>
        await keys.RevokeAsync(tenantId, keyId, ctx.Principal, ct) switch
        {
            null => Problems.NotFound($"Tenant '{TenantValidation.Clip(tenantId)}' has no key '{TenantValidation.Clip(keyId)}'."),
            false => Problems.Create(StatusCodes.Status503ServiceUnavailable, "revocation-not-published", "Revocation not yet published",
                "The key is revoked in the store, but the Gateways could not be told (Redis unavailable); repeat the DELETE to publish it again."),
            true => TypedResults.NoContent(),
        };
}
