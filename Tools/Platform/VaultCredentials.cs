using System.Net;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.ControlPlane;
using AgentCloud.Tools.Catalog;
using AgentCloud.Tools.Extensions;
using Microsoft.Extensions.Options;

namespace AgentCloud.Tools.Platform;

/// <summary>
/// Reads a tenant's credential from the ControlPlane's vault at call time, in the caller's own context plus the
/// tool executor's injection key: the ControlPlane reveals only the caller's own tenant's secrets, and only to us.
/// The secret is held for the one call and never cached, logged or returned.
/// </summary>
public sealed class VaultCredentials(ControlPlaneClient controlPlane, IOptions<ToolsOptions> options)
{

    /// <summary>The header the ControlPlane checks before it reveals a credential to the tool executor.</summary>
    public const string InjectorHeader = PlatformHeaders.Injector;

    public async Task<string> RevealAsync(ToolInvocation call, string integration, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(options.Value.InjectionKey))
        {
            throw new ToolUnavailableException("Credential injection is not configured on this platform (Tools:InjectionKey).");
        }
        HttpResponseMessage response;
        try
        {
            response = await controlPlane.RevealCredentialAsync(call.ContextToken, call.OnwardContexts, integration, InjectorHeader, options.Value.InjectionKey, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new ToolUnavailableException("The credential vault could not be reached.", e);
        }
        using (response)
        {
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                throw new ToolRefusal($"This tenant has no credential for '{integration}': store one with PUT /v1/credentials/{integration}.");
            }
            if (!response.IsSuccessStatusCode)
            {
                throw new ToolUnavailableException($"The credential vault answered {(int)response.StatusCode} for '{integration}'.");
            }
            var revealed = await response.Content.ReadFromJsonAsync<Revealed>(cancellationToken);
            if (string.IsNullOrEmpty(revealed?.Secret))
            {
                throw new ToolUnavailableException($"The credential vault gave an empty answer for '{integration}'.");
            }
            call.UsesSecret(revealed.Secret);
            return revealed.Secret;
        }
    }

    private sealed record Revealed(string Integration, string Secret);
}

/// <summary>A platform dependency of a tool is away: the call fails with a retryable error, never a hang.</summary>
public sealed class ToolUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
