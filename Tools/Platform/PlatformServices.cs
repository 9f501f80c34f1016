using System.Text.Json;
using AgentCloud.Platform.Contracts;
using AgentCloud.Tools.Catalog;

namespace AgentCloud.Tools.Platform;

/// <summary>
/// Calls the platform's own services (Memory, SandboxBroker) for a built-in tool, forwarding the caller's signed
/// context: each service then applies its own rules (capabilities, ownership) exactly as for a direct call.
/// </summary>
public sealed class PlatformServices(IHttpClientFactory httpClients)
{
    public const string MemoryClient = "agentcloud-tools-memory";
    public const string SandboxClient = "agentcloud-tools-sandbox";

    public async Task<ToolOutcome> SendAsync(string client, HttpMethod method, string path, object body, ToolInvocation call, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body, options: JsonSerializerOptions.Web) };
        call.AttachContext(request, client == SandboxClient ? ServiceNames.SandboxBroker : ServiceNames.Memory);
        HttpResponseMessage response;
        try
        {
            response = await httpClients.CreateClient(client).SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new ToolUnavailableException($"The platform service behind this tool could not be reached ({e.HttpRequestError}).", e);
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            // The service's own answer (or its problem+json) is what the model should see; a refusal is a tool error.
            return response.IsSuccessStatusCode ? ToolOutcome.Ok(text) : ToolOutcome.Error($"{(int)response.StatusCode}: {text}");
        }
    }
}
