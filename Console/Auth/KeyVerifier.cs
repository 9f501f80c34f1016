using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text.Json;
using AgentCloud.Console.Api;

namespace AgentCloud.Console.Auth;

/// <summary>
/// Checks a pasted key by using it, as any client would: the operator key is the one <c>GET /admin/v1/tenants</c>
/// accepts; a tenant key is one <c>GET /v1/usage</c> accepts, whose answer names its tenant. Nothing else is trusted.
/// </summary>
public sealed class KeyVerifier(IHttpClientFactory clients)
{
    /// <summary>
    /// The signed-in principal, or the problem to show; <c>Refused</c> says the key itself was refused (malformed, or the
    /// API answered 401/403): a failed sign-in to count, unlike an outage.
    /// </summary>
    public sealed record Outcome(ClaimsPrincipal? Principal, string? Problem, bool Refused = false);

    public async Task<Outcome> VerifyAsync(string key, CancellationToken ct)
    {
        key = key.Trim();
        if (key.Length is < 8 or > 512 || key.Any(char.IsWhiteSpace))
        {
            return new(null, "That is not a key: paste the operator key or a tenant key (ac_…) without spaces.", Refused: true);
        }
        var http = clients.CreateClient(PlatformApi.HttpClientName);
        try
        {
            if (!key.StartsWith("ac_", StringComparison.Ordinal))
            {
                using var admin = await SendAsync(http, "admin/v1/tenants", key, ct);
                var refused = admin.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden;
                return admin.IsSuccessStatusCode
                    ? new(ConsoleClaims.Operator(key), null)
                    : new(null, refused
                        ? "The platform refused this key: it is not the operator key, and not a tenant key (those begin with ac_)."
                        : await ApiAnswer.ProblemDetailAsync(admin, ct), refused);
            }
            using var usage = await SendAsync(http, "v1/usage?groupBy=none", key, ct);
            if (usage.IsSuccessStatusCode)
            {
                using var doc = JsonDocument.Parse(await usage.Content.ReadAsStringAsync(ct));
                var tenantId = doc.RootElement.GetProperty("tenantId").GetString();
                return string.IsNullOrEmpty(tenantId) ? new(null, "The platform did not name this key's tenant.") : new(ConsoleClaims.Tenant(key, tenantId), null);
            }
            return new(null, usage.StatusCode switch
            {
                HttpStatusCode.Unauthorized => "The platform refused this key: it is unknown, expired or revoked.",
                HttpStatusCode.Forbidden => "This key is valid but lacks the usage:read capability, which the console needs to know its tenant; use another of the tenant's keys.",
                _ => await ApiAnswer.ProblemDetailAsync(usage, ct),
            }, usage.StatusCode is HttpStatusCode.Unauthorized);
        }
        catch (HttpRequestException)
        {
            return new(null, "The platform's Gateway could not be reached; retry in a moment.");
        }
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, string path, string key, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await http.SendAsync(request, ct);
    }
}
