using System.Globalization;
using AgentCloud.Gateway.Apis;
using AgentCloud.Platform;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;

namespace AgentCloud.Gateway.Auth;

/// <summary>
/// Decides who the caller is before anything is proxied: the operator (admin key) on <c>/admin/*</c>,
/// a tenant (tenant API key, resolved through the ControlPlane) elsewhere. Unauthenticated calls end here with
/// 401 problem+json; a key not of the one key shape is refused without asking the ControlPlane; an address that keeps
/// failing gets 429 for anything that would need the ControlPlane (keys already known good here still pass). The
/// authenticated caller is left in the request features as a <see cref="TenantContext"/> (and, for tenants, the
/// <see cref="ResolvedKey"/> with its policy).
/// </summary>
public sealed class CallerAuthenticationMiddleware(
    RequestDelegate next, AdminKeyVerifier adminKeys, ITenantKeyResolver tenantKeys, FailedAuthAudit audit, FailedCallLimiter limiter,
    ILogger<CallerAuthenticationMiddleware> logger)
{
    public static readonly TenantContext Operator =
        new(TenantContext.PlatformTenantId, "platform", "operator", [TenantContext.AdminCapability]);

    // Not async: a call with a key already known here (the usual one) is decided without awaiting anything, so only a
    // lookup or a refusal pays for a state machine.
    public Task InvokeAsync(HttpContext http)
    {
        var path = http.Request.Path;
        if (IsAnonymous(path))
        {
            return next(http);
        }

        var token = BearerToken.From(http.Request);
        if (path.StartsWithSegments("/admin"))
        {
            if (token is null || !adminKeys.IsAdminKey(token))
            {
                return RefuseAsync(http, token is null ? "admin call without a bearer key" : "admin call with a wrong key",
                    "The admin API needs the operator key: Authorization: Bearer <admin key>.");
            }
            http.Features.Set(Operator);
            return next(http);
        }

        if (token is null)
        {
            return RefuseAsync(http, "missing key", "Missing API key: send Authorization: Bearer <tenant API key>.");
        }
        if (!ApiKeyShape.IsWellFormed(token))
        {
            return RefuseAsync(http, "malformed key", $"Malformed API key: a key is {ApiKeyShape.Description}, sent as Authorization: Bearer <tenant API key>.");
        }
        return tenantKeys.TryGetCached(token, out var resolved) ? Admit(http, resolved) : ResolveThenAdmitAsync(http, token);
    }

    private async Task ResolveThenAdmitAsync(HttpContext http, string token)
    {
        // Only a lookup costs the platform anything; an address that keeps failing does not get one until its window ends,
        // except for a key that was good here before (a tenant sharing the address with an attacker, its entry expired)
        // or one whose lookup is already running (a burst of a new key's first calls is one lookup).
        IDisposable? lease = null;
        if (!tenantKeys.WasKnownGood(token) && !tenantKeys.IsResolving(token)
            && (lease = limiter.TryBeginLookup(ClientAddress.Of(http), out var wait)) is null)
        {
            audit.Refused(http, "over the failed-call limit");
            await TooManyFailuresAsync(http, wait);
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
        finally
        {
            lease?.Dispose();
        }
        await Admit(http, resolved);
    }

    /// <summary>The key's resolution: the caller goes on as its tenant, or is refused (unknown, revoked, or claiming platform powers).</summary>
    private Task Admit(HttpContext http, ResolvedKey? resolved)
    {
        if (resolved is null || ClaimsPlatformPowers(resolved))
        {
            return RefuseAsync(http, "unknown or revoked key", "Unknown or revoked API key.");
        }

        http.Features.Set(resolved);
        http.Features.Set(new TenantContext(resolved.TenantId, resolved.Tier, resolved.Principal, resolved.Capabilities, resolved.RunId,
            KeyTokensPerMinute: resolved.KeyTokensPerMinute, ProjectId: resolved.ProjectId, ProjectTokensPerMinute: resolved.ProjectTokensPerMinute,
            Budgets: resolved.Budgets));
        return next(http);
    }

    /// <summary>401, counted against the address; an address already over its limit gets 429 instead.</summary>
    private async Task RefuseAsync(HttpContext http, string reason, string detail)
    {
        var wait = limiter.RetryAfter(ClientAddress.Of(http));
        audit.Refused(http, reason);
        if (wait is { } w)
        {
            await TooManyFailuresAsync(http, w);
            return;
        }
        await Problems.Unauthorized(detail).ExecuteAsync(http);
    }

    /// <summary>429, held back a moment first (see <see cref="FailedCallLimiter.HoldAsync"/>) so a closed-loop flood slows to a trickle.</summary>
    private async Task TooManyFailuresAsync(HttpContext http, TimeSpan wait)
    {
        await limiter.HoldAsync(http.RequestAborted);
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await Problems.Create(StatusCodes.Status429TooManyRequests, "too-many-failed-calls", "Too many refused calls",
            $"Too many calls from your address were refused for a missing, malformed, unknown or revoked key; retry after {seconds} s with a valid key.")
            .ExecuteAsync(http);
    }

    // A tenant key can never carry the operator's or the Gateway's identity, whatever the ControlPlane answered.
    private static bool ClaimsPlatformPowers(ResolvedKey key) =>
        key.TenantId == TenantContext.PlatformTenantId
        || key.Capabilities.Contains(TenantContext.AdminCapability) || key.Capabilities.Contains(TenantContext.GatewayCapability);

    private static bool IsAnonymous(PathString path) =>
        path.StartsWithSegments("/health") || path.StartsWithSegments("/alive") || path.StartsWithSegments(JwksApi.Path)
        || path.StartsWithSegments(Docs.DocsApi.DocumentPath) || path.StartsWithSegments(Docs.DocsApi.ReferencePath)
        || Console.ConsoleRoute.IsConsolePath(path);
}
