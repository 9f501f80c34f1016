using System.Text.Json.Nodes;

namespace AgentCloud.Cli.Infrastructure;

/// <summary>A tool's answer: its text, and whether the tool reported an error.</summary>
public sealed record ToolCallResult(string Text, bool IsError, JsonNode? Raw);

/// <summary>
/// The platform's MCP endpoint (<c>/v1/mcp</c>, Streamable HTTP, stateless) spoken as single JSON-RPC POSTs: no session
/// to open or close, and refusals arrive as the Gateway's problem+json, so they map to the CLI's exit codes.
/// </summary>
public sealed class McpGatewayClient(GatewayClient gateway)
{
    public const string Path = "/v1/mcp";
    private int _nextId;

    public async Task<JsonArray> ListToolsAsync(CancellationToken ct) =>
        (await RequestAsync("tools/list", new JsonObject(), ct))?["tools"] as JsonArray ?? [];

    public async Task<ToolCallResult> CallToolAsync(string name, JsonObject arguments, CancellationToken ct)
    {
        var result = await RequestAsync("tools/call", new JsonObject { ["name"] = name, ["arguments"] = arguments }, ct);
        var text = string.Join("\n", (result?["content"] as JsonArray ?? []).Select(c => c?["text"]?.GetValue<string>()).Where(t => t is not null));
        return new ToolCallResult(text, result?["isError"]?.GetValue<bool>() == true, result);
    }

    private async Task<JsonNode?> RequestAsync(string method, JsonObject parameters, CancellationToken ct)
    {
        var id = Interlocked.Increment(ref _nextId);
        var message = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method, ["params"] = parameters };
        var (text, mediaType) = await gateway.PostForTextAsync(Path, message, ["application/json", "text/event-stream"], ct);
        var answer = mediaType == "text/event-stream" ? FromEventStream(text, id) : JsonNode.Parse(text);
        if (answer?["error"] is { } error)
        {
            throw new ApiException(System.Net.HttpStatusCode.BadRequest, $"MCP error {error["code"]}: {error["message"]}", null);
        }
        return answer?["result"];
    }

    /// <summary>The JSON-RPC response with our id among the stream's <c>data:</c> events.</summary>
    private static JsonNode? FromEventStream(string stream, int id)
    {
        foreach (var line in stream.Split('\n'))
        {
            if (line.StartsWith("data:", StringComparison.Ordinal) && JsonNode.Parse(line["data:".Length..].Trim()) is JsonObject message
                && message["id"]?.GetValue<int>() == id)
            {
                return message;
            }
        }
        throw new ApiException(System.Net.HttpStatusCode.BadGateway, "The MCP endpoint's answer held no response to the request.", null);
    }
}
