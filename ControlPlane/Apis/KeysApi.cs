using AgentCloud.ControlPlane.Domain;
using AgentCloud.Platform;
using AgentCloud.Platform.Contracts;
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
        return api;
    }

    public static async Task<Results<Created<CreatedKeyResponse>, ProblemHttpResult>> CreateKey(
        string tenantId, CreateKeyRequest request, TenantContext ctx, ApiKeyService keys, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > TenantValidation.MaxNameLength || request.Name.Any(char.IsControl))
        {
            return Problems.BadRequest($"'name' is required: 1 to {TenantValidation.MaxNameLength} characters, no control characters.");
        }
        if (request.Capabilities is { Count: > TenantValidation.MaxListLength })
        {
            return Problems.BadRequest($"'capabilities' may list at most {TenantValidation.MaxListLength} entries.");
        }
        if (request.DefaultLane is not null && !Lanes.IsKnown(request.DefaultLane))
        {
            return Problems.BadRequest($"'defaultLane' must be '{Lanes.Interactive}' or '{Lanes.Batch}'.");
        }
        var creation = await keys.CreateAsync(tenantId, request.Name, request.Capabilities, ctx.Principal, ct, request.DefaultLane);
        if (creation is null)
        {
            return TenantsApi.NoSuchTenant(tenantId);
        }
        if (creation.Refusal is not null)
        {
            return Problems.BadRequest(creation.Refusal);
        }
        var (key, plaintext) = (creation.Created!.Key, creation.Created.Plaintext);
        return TypedResults.Created($"/admin/v1/tenants/{tenantId}/keys/{key.Id}",
            new CreatedKeyResponse(key.Id, plaintext, key.Name, key.Prefix, key.Capabilities, key.CreatedAt, key.DefaultLane ?? Lanes.Interactive));
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
