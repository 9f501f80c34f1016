using System.Text.Json;
using AgentCloud.Tools.Catalog;
using AgentCloud.Tools.Extensions;
using AgentCloud.Tools.Platform;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace AgentCloud.Tools.Servers;

/// <summary>
/// Talks MCP (Streamable HTTP, the official client) to a tenant's registered server, through the guarded egress
/// client, with the integration's credential from the vault as a bearer token for that server only.
/// </summary>
public sealed class RemoteTools(IHttpClientFactory httpClients, VaultCredentials vault, IOptions<ToolsOptions> options, ILoggerFactory loggers)
{
    public const string HttpClientName = "agentcloud-tools-servers";

    /// <summary>The server's tools, named <c>{server}.{tool}</c>.</summary>
    public async Task<IReadOnlyList<ToolDescriptor>> ListAsync(ToolServer server, ToolInvocation call, CancellationToken cancellationToken)
    {
        await using var client = await ConnectAsync(server, call, cancellationToken);
        var tools = await client.ListToolsAsync(cancellationToken: cancellationToken);
        return [.. tools.Select(t => new ToolDescriptor($"{server.Name}.{t.Name}", t.Description ?? "", t.ProtocolTool.InputSchema))];
    }

    public async Task<ToolOutcome> CallAsync(ToolServer server, string tool, ToolInvocation call, CancellationToken cancellationToken)
    {
        await using var client = await ConnectAsync(server, call, cancellationToken);
        var arguments = call.Arguments.ToDictionary(a => a.Key, a => (object?)a.Value);
        var result = await client.CallToolAsync(tool, arguments, cancellationToken: cancellationToken);
        var text = string.Join("\n", result.Content.Select(c => c is TextContentBlock t ? t.Text : JsonSerializer.Serialize(c)));
        if (text.Length == 0 && result.StructuredContent is { } structured)
        {
            text = structured.GetRawText();
        }
        if (text.Length > options.Value.MaxResultBytes)
        {
            text = text[..options.Value.MaxResultBytes] + $"\n[truncated at {options.Value.MaxResultBytes} characters]";
        }
        return new ToolOutcome(text, result.IsError == true);
    }

    private async Task<McpClient> ConnectAsync(ToolServer server, ToolInvocation call, CancellationToken cancellationToken)
    {
        var headers = new Dictionary<string, string>();
        if (server.Integration is { } integration)
        {
            headers["Authorization"] = "Bearer " + await vault.RevealAsync(call, integration, cancellationToken);
        }
        var transport = new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(server.Url),
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = headers,
            Name = server.Name,
        }, httpClients.CreateClient(HttpClientName), loggers, ownsHttpClient: true);
        return await McpClient.CreateAsync(transport, cancellationToken: cancellationToken);
    }
}
