using System.Net;
using AgentCloud.Gateway.Extensions;
using AgentCloud.Gateway.Signing;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using Microsoft.Extensions.Options;

namespace AgentCloud.Gateway.Auth;

/// <summary>
/// Asks the ControlPlane (<c>POST /internal/v1/keys/resolve</c>) who a key belongs to, calling as the Gateway's
/// own signed identity: 200 is the owner, 404 unknown or revoked, anything else means no answer.
/// </summary>
public sealed class ControlPlaneKeyResolver(IHttpClientFactory httpClients, GatewaySigningKeys keys, IOptions<GatewayOptions> options)
    : ITenantKeyResolver
{
    public const string HttpClientName = "agentcloud-controlplane-keys";
    public const string ResolvePath = "/internal/v1/keys/resolve";

    public static readonly TenantContext GatewayIdentity =
        new(TenantContext.PlatformTenantId, "platform", "gateway", [TenantContext.GatewayCapability]);

    public async Task<ResolvedKey?> ResolveAsync(string apiKey, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.KeyResolutionTimeout);
        using var request = new HttpRequestMessage(HttpMethod.Post, ResolvePath) { Content = JsonContent.Create(new ResolveKeyRequest(apiKey)) };
        request.Headers.TryAddWithoutValidation(TenantContextHeaders.Context, keys.Mint(GatewayIdentity, ServiceNames.ControlPlane));
        try
        {
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, timeout.Token);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }
            if (!response.IsSuccessStatusCode)
            {
                throw new KeyResolutionUnavailableException($"The ControlPlane answered {(int)response.StatusCode} to a key resolution.");
            }
            return await response.Content.ReadFromJsonAsync<ResolvedKey>(timeout.Token)
                   ?? throw new KeyResolutionUnavailableException("The ControlPlane answered a key resolution with an empty body.");
        }
        catch (Exception e) when (e is HttpRequestException or System.Text.Json.JsonException
                                      || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new KeyResolutionUnavailableException("The ControlPlane could not resolve the key in time.", e);
        }
    }
}
