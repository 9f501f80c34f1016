using AgentCloud.Gateway.Apis;
using AgentCloud.ServiceDefaults;
using AgentCloud.ServiceDefaults.Contracts;
using AgentCloud.ServiceDefaults.Tenancy;

namespace AgentCloud.Gateway.Auth;

/// <summary>
/// Decides who the caller is before anything is proxied: the operator (admin key) on <c>/admin/*</c>,
/// a tenant (tenant API key, resolved through the ControlPlane) elsewhere. Unauthenticated calls end here with
/// 401 problem+json; the authenticated caller is left in the request features as a <see cref="TenantContext"/>
/// (and, for tenants, the <see cref="ResolvedKey"/> with its policy).
/// </summary>
public sealed class CallerAuthenticationMiddleware(
    RequestDelegate next, AdminKeyVerifier adminKeys, ITenantKeyResolver tenantKeys, FailedAuthAudit audit, ILogger<CallerAuthenticationMiddleware> logger)
{
    public static readonly TenantContext Operator =
        new(TenantContext.PlatformTenantId, "platform", "operator", [TenantContext.AdminCapability]);

    public async Task InvokeAsync(HttpContext http)
    {
        var path = http.Request.Path;
        if (IsAnonymous(path))
        {
            await next(http);
            return;
        }

        var token = BearerToken.From(http.Request);
        if (path.StartsWithSegments("/admin"))
        {
            if (token is null || !adminKeys.IsAdminKey(token))
            {
                audit.Refused(http, token is null ? "admin call without a bearer key" : "admin call with a wrong key");
                await Problems.Unauthorized("The admin API needs the operator key: Authorization: Bearer <admin key>.").ExecuteAsync(http);
                return;
            }
            http.Features.Set(Operator);
            await next(http);
            return;
        }

        if (token is null)
        {
            audit.Refused(http, "missing key");
            await Problems.Unauthorized("Missing API key: send Authorization: Bearer <tenant API key>.").ExecuteAsync(http);
            return;
        }
        if (!ApiKeyFormat.IsWellFormed(token))
        {
            audit.Refused(http, "malformed key");
            await Problems.Unauthorized("Malformed API key: a key is 16 to 512 visible ASCII characters, sent as Authorization: Bearer <tenant API key>.").ExecuteAsync(http);
            return;
        }

        ResolvedKey? resolved;
        try
        {
            resolved = await tenantKeys.ResolveAsync(token, http.RequestAborted);
        }
        catch (KeyResolutionUnavailableException e)
        {
            logger.LogError(e, "Could not resolve an API key");
            http.Response.Headers.RetryAfter = "1";
            await Problems.Create(StatusCodes.Status503ServiceUnavailable, "key-resolution-unavailable", "Cannot check API keys right now",
                "The platform could not check your API key just now; retry in a second.").ExecuteAsync(http);
            return;
        }
        if (resolved is null || ClaimsPlatformPowers(resolved))
        {
            audit.Refused(http, "unknown or revoked key");
            await Problems.Unauthorized("Unknown or revoked API key.").ExecuteAsync(http);
            return;
        }

        http.Features.Set(resolved);
        http.Features.Set(new TenantContext(resolved.TenantId, resolved.Tier, resolved.Principal, resolved.Capabilities, resolved.RunId));
        await next(http);
    }

    // A tenant key can never carry the operator's or the Gateway's identity, whatever the ControlPlane answered.
    private static bool ClaimsPlatformPowers(ResolvedKey key) =>
        key.TenantId == TenantContext.PlatformTenantId
        || key.Capabilities.Any(c => c is TenantContext.AdminCapability or TenantContext.GatewayCapability);

    private static bool IsAnonymous(PathString path) =>
        path.StartsWithSegments("/health") || path.StartsWithSegments("/alive") || path.StartsWithSegments(JwksApi.Path);
}
