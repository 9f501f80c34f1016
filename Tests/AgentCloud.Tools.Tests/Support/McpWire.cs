using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace AgentCloud.Tools.Tests.Support;

/// <summary>Raw JSON-RPC messages to <c>/v1/mcp</c>, for what happens at the HTTP layer before any MCP client would look.</summary>
public static class McpWire
{
    public static Task<HttpResponseMessage> CallToolAsync(HttpClient client, string name, object? arguments = null) =>
        SendAsync(client, "tools/call", new { name, arguments = arguments ?? new { } });

    public static async Task<HttpResponseMessage> SendAsync(HttpClient client, string method, object @params)
    {
        var message = JsonSerializer.Serialize(new { jsonrpc = "2.0", id = 1, method, @params });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/mcp") { Content = new StringContent(message, Encoding.UTF8, "application/json") };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        return await client.SendAsync(request);
    }
}
