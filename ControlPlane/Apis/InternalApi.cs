using System.Security.Cryptography;
using AgentCloud.ControlPlane.Domain;
using AgentCloud.ControlPlane.Infrastructure;
using AgentCloud.Platform;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCloud.ControlPlane.Apis;

/// <summary>
/// APIs for the platform's own services, never routed by the Gateway: key resolution (the Gateway's identity
/// only), a tenant's policy (that tenant, the Gateway or the operator), and credential injection (the platform's
/// injection capability, for the tenant in its own context).
/// </summary>
public static class InternalApi
{
    public static RouteGroupBuilder MapInternalApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/internal/v1");
        api.MapPost("keys/resolve", ResolveKey);
        api.MapGet("tenants/{tenantId}/policy", GetPolicy);
        api.MapPost("credentials/{integration}/reveal", RevealCredential);
        api.MapPost("run-keys", MintRunKey);
        api.MapDelete("run-keys/{runId}", RevokeRunKeys);
        return api;
    }

    /// <summary>A key for one run of the calling tenant; only a caller allowed to make sandboxes may ask (the SandboxBroker, in the tenant's context).</summary>
    public static async Task<Results<Created<RunKey>, ProblemHttpResult>> MintRunKey(MintRunKeyRequest request, TenantContext ctx, RunKeyService runKeys, CancellationToken ct)
    {
        if (RefuseRunKeyCaller(ctx) is { } refusal)
        {
            return refusal;
        }
        var minting = await runKeys.MintAsync(ctx, request, ct);
        if (minting is null)
        {
            return TenantsApi.NoSuchTenant(ctx.TenantId);
        }
        return minting.Refusal is not null
            ? Problems.BadRequest(minting.Refusal)
            : TypedResults.Created($"/internal/v1/run-keys/{minting.Minted!.RunId}", minting.Minted);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> RevokeRunKeys(string runId, TenantContext ctx, RunKeyService runKeys, CancellationToken ct)
    {
        if (RefuseRunKeyCaller(ctx) is { } refusal)
        {
            return refusal;
        }
        // Only the caller's own tenant's keys are touched: another tenant's run id revokes nothing and says nothing.
        await runKeys.RevokeRunAsync(ctx.TenantId, runId, ctx.Principal, ct);
        return TypedResults.NoContent();
    }

    private static ProblemHttpResult? RefuseRunKeyCaller(TenantContext ctx) =>
        ctx.TenantId == TenantContext.PlatformTenantId || !ctx.Has(Capabilities.Sandbox) || ctx.RunId is not null
            ? Problems.Forbidden($"Run keys are made for a tenant's sandboxes: the caller needs the '{Capabilities.Sandbox}' capability and may not itself be a run.")
            : null;

    public static async Task<Results<Ok<ResolvedKey>, ProblemHttpResult>> ResolveKey(ResolveKeyRequest request, TenantContext ctx, ApiKeyService keys, CancellationToken ct)
    {
        if (!IsGateway(ctx))
        {
            return Problems.Forbidden("Key resolution is for the Gateway's own identity only.");
        }
        if (string.IsNullOrEmpty(request.Key))
        {
            return Problems.BadRequest("'key' is required.");
        }
        return await keys.ResolveAsync(request.Key, ctx.Principal, ct) is { } resolved
            ? TypedResults.Ok(resolved)
            : Problems.NotFound("Unknown or revoked API key.");
    }

    public static async Task<Results<Ok<TenantPolicy>, ProblemHttpResult>> GetPolicy(string tenantId, TenantContext ctx, TenantDirectory tenants, CancellationToken ct)
    {
        // Another tenant's id is answered exactly as a missing tenant is.
        if (!(ctx.TenantId == tenantId || ctx.IsOperator || IsGateway(ctx)))
        {
            return TenantsApi.NoSuchTenant(tenantId);
        }
        return await tenants.PolicyAsync(tenantId, ct) is { } policy ? TypedResults.Ok(policy) : TenantsApi.NoSuchTenant(tenantId);
    }

    /// <summary>The header in which the Tools service presents its injection key when it reveals a credential for a tool call.</summary>
    public const string InjectorHeader = PlatformHeaders.Injector;

    public static async Task<Results<Ok<RevealedCredential>, ProblemHttpResult>> RevealCredential(
        string integration, TenantContext ctx, TenantDb db, CredentialVault vault, AuditLog audit,
        HttpContext http, Microsoft.Extensions.Options.IOptions<Extensions.ControlPlaneOptions> options, CancellationToken ct)
    {
        if (!ctx.Has(Capabilities.CredentialInjection) && !IsToolExecutor(http, options.Value.ToolInjectionKey))
        {
            return Problems.Forbidden($"Reading a credential needs the platform's '{Capabilities.CredentialInjection}' capability.");
        }
        if (CredentialsApi.Refuse(ctx, integration) is { } refusal)
        {
            return refusal;
        }
        string? secret;
        try
        {
            secret = await db.InTenantAsync(ctx.TenantId, async c =>
            {
                var plain = await vault.RevealAsync(c, ctx.TenantId, integration, ct);
                if (plain is not null)
                {
                    await audit.AppendAsync(c, ctx.TenantId, ctx.Principal, "credential.revealed", new { integration, runId = ctx.RunId }, ct);
                }
                return plain;
            }, ct);
        }
        catch (CryptographicException)
        {
            // A sealed secret that does not open was changed or moved in the database: never hand out anything.
            return Problems.Create(StatusCodes.Status500InternalServerError, "credential-integrity", "Credential does not verify",
                $"The stored credential for '{integration}' failed its integrity check; store it again with PUT /v1/credentials/{integration}.");
        }
        return secret is null
            ? Problems.NotFound($"There is no credential for '{integration}'.")
            : TypedResults.Ok(new RevealedCredential(integration, secret));
    }

    /// <summary>The Tools service, forwarding a tenant's call with the key only it is given (compared in constant time).</summary>
    private static bool IsToolExecutor(HttpContext http, string expectedKey)
    {
        var presented = http.Request.Headers[InjectorHeader].ToString();
        return expectedKey.Length >= 16 && presented.Length == expectedKey.Length
            && CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(presented), System.Text.Encoding.UTF8.GetBytes(expectedKey));
    }

    private static bool IsGateway(TenantContext ctx) =>
        ctx.TenantId == TenantContext.PlatformTenantId && ctx.Has(TenantContext.GatewayCapability);
}
