using System.Net;
using System.Net.Http.Json;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using Microsoft.AspNetCore.Http;

namespace AgentCloud.Platform.ControlPlane;

/// <summary>
/// The one client of the ControlPlane's internal API that services use on a tenant's behalf. Every call carries the
/// caller's onward context for the ControlPlane (never the service's own context, which the ControlPlane refuses as
/// minted for another audience), so the ControlPlane answers for that tenant only and within what that caller holds.
/// </summary>
public sealed class ControlPlaneClient(IHttpClientFactory httpClients)
{
    public const string HttpClientName = "agentcloud-controlplane";

    /// <summary>Resolved through service discovery.</summary>
    public static readonly Uri BaseAddress = new("http://" + ServiceNames.ControlPlane);

    /// <summary>The policy of <paramref name="tenantId"/> (the caller's own tenant), or null when the tenant no longer exists.</summary>
    public async Task<TenantPolicy?> GetPolicyAsync(HttpContext? caller, string tenantId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/internal/v1/tenants/{Uri.EscapeDataString(tenantId)}/policy");
        OnwardContext.Attach(request, caller, ServiceNames.ControlPlane);
        using var response = await SendAsync(request, cancellationToken);
        return response.StatusCode == HttpStatusCode.NotFound
            ? null
            : await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<TenantPolicy>(cancellationToken);
    }

    /// <summary>Asks for a run key (<c>POST /internal/v1/run-keys</c>); the caller reads the answer (201, or 400 with the reason).</summary>
    public Task<HttpResponseMessage> MintRunKeyAsync(HttpContext caller, MintRunKeyRequest body, CancellationToken cancellationToken) =>
        SendAsync(WithCaller(new HttpRequestMessage(HttpMethod.Post, "/internal/v1/run-keys") { Content = JsonContent.Create(body) }, caller), cancellationToken);

    /// <summary>Revokes the caller's tenant's keys of one run (<c>DELETE /internal/v1/run-keys/{runId}</c>).</summary>
    public async Task RevokeRunKeysAsync(HttpContext caller, string runId, CancellationToken cancellationToken)
    {
        using var request = WithCaller(new HttpRequestMessage(HttpMethod.Delete, $"/internal/v1/run-keys/{Uri.EscapeDataString(runId)}"), caller);
        using var response = await SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>
    /// Reveals one of the caller's tenant's vault credentials to the tool executor (<c>POST /internal/v1/credentials/{integration}/reveal</c>),
    /// in the caller's context carried by a tool call (<paramref name="ownToken"/> and its onward contexts) plus the executor's
    /// <paramref name="injectorKey"/>; the caller reads the answer.
    /// </summary>
    public Task<HttpResponseMessage> RevealCredentialAsync(string ownToken, IEnumerable<KeyValuePair<string, string>> onward, string integration,
        string injectorHeader, string injectorKey, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/internal/v1/credentials/{Uri.EscapeDataString(integration)}/reveal");
        OnwardContext.Attach(request, ownToken, onward, ServiceNames.ControlPlane);
        request.Headers.TryAddWithoutValidation(injectorHeader, injectorKey);
        return SendAsync(request, cancellationToken);
    }

    private Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        httpClients.CreateClient(HttpClientName).SendAsync(request, cancellationToken);

    private static HttpRequestMessage WithCaller(HttpRequestMessage request, HttpContext caller)
    {
        if (!OnwardContext.Attach(request, caller, ServiceNames.ControlPlane))
        {
            request.Dispose();
            throw new MissingTenantContextException();
        }
        return request;
    }
}

/// <summary>A ControlPlane call on a tenant's behalf was attempted outside a tenant's call (no context to forward).</summary>
public sealed class MissingTenantContextException()
    : InvalidOperationException("The ControlPlane is asked on a tenant's behalf, and this call carries no tenant context.");
