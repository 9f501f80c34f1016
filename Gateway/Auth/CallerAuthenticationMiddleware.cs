using AgentCloud.Gateway.Apis;
using AgentCloud.ServiceDefaults;
using AgentCloud.ServiceDefaults.Tenancy;

namespace AgentCloud.Gateway.Auth;

/// <summary>
/// Decides who the caller is before anything is proxied: the operator (admin key) on <c>/admin/*</c>,
/// a tenant (tenant API key) elsewhere. Unauthenticated calls end here with 401 problem+json.
/// </summary>
public sealed class CallerAuthenticationMiddleware(RequestDelegate next, AdminKeyVerifier adminKeys, ILogger<CallerAuthenticationMiddleware> logger)
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
                logger.LogWarning("Refused an admin call without the operator key from {Remote}", http.Connection.RemoteIpAddress);
                await Problems.Unauthorized("The admin API needs the operator key: Authorization: Bearer <admin key>.").ExecuteAsync(http);
                return;
            }
            http.Features.Set(Operator);
            await next(http);
            return;
        }

        // Tenant API keys are resolved through the ControlPlane; until a key resolves, the call is refused.
        await Problems.Unauthorized(token is null
                ? "Missing API key: send Authorization: Bearer <tenant API key>."
                : "Unknown or revoked API key.")
            .ExecuteAsync(http);
    }

    private static bool IsAnonymous(PathString path) =>
        path.StartsWithSegments("/health") || path.StartsWithSegments("/alive") || path.StartsWithSegments(JwksApi.Path);
}
