using System.Text.Json;
using AgentCloud.Platform.Contracts;
using AgentCloud.Tools.Access;
using AgentCloud.Tools.Catalog;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace AgentCloud.Tools.Mcp;

/// <summary>
/// <c>/v1/mcp</c>: an MCP server over Streamable HTTP (stateless, so any replica answers any request) whose tool set
/// is computed per request from the caller: <c>tools/list</c> shows exactly what <see cref="ToolAccess"/> permits,
/// <c>tools/call</c> runs what <see cref="ToolCallGate"/> resolved.
/// </summary>
public static class McpGateway
{
    public const string Path = "/v1/mcp";

    public static void AddMcpGateway(this IHostApplicationBuilder builder)
    {
        builder.Services.AddMcpServer(o => o.ServerInfo = new Implementation { Name = "agentcloud-tools", Version = "1.0" })
            .WithHttpTransport(o => o.Stateless = true)
            .WithListToolsHandler(ListToolsAsync)
            .WithCallToolHandler(CallToolAsync);
    }

    public static void MapMcpGateway(this WebApplication app)
    {
        app.UseWhen(c => c.Request.Path.Equals(Path, StringComparison.Ordinal), branch => branch.UseMiddleware<ToolCallGate>());
        app.MapMcp(Path);
    }

    private static async ValueTask<ListToolsResult> ListToolsAsync(RequestContext<ListToolsRequestParams> request, CancellationToken cancellationToken)
    {
        var callerTools = request.Services!.GetRequiredService<CallerTools>();
        var policy = await callerTools.PolicyAsync(cancellationToken) ?? throw new McpProtocolException("The calling tenant no longer exists.", McpErrorCode.InvalidRequest);
        var tools = await request.Services!.GetRequiredService<ToolCatalog>().ListAsync(policy, callerTools.Invocation(null), cancellationToken);
        return new ListToolsResult
        {
            Tools = [.. tools.Select(t => new Tool { Name = t.Name, Description = t.Description, InputSchema = t.InputSchema })],
        };
    }

    private static async ValueTask<CallToolResult> CallToolAsync(RequestContext<CallToolRequestParams> request, CancellationToken cancellationToken)
    {
        var callerTools = request.Services!.GetRequiredService<CallerTools>();
        var name = request.Params?.Name ?? "";
        // The gate has decided; this is the second lock, in case a message ever reaches the handler some other way.
        var policy = await callerTools.PolicyAsync(cancellationToken);
        if (policy is null || !ToolAccess.Allows(policy, callerTools.Caller, name)
            || callerTools.Http.Items[ToolCallGate.ResolvedToolItem] is not ResolvedTool resolved || resolved.Name != name)
        {
            throw new McpProtocolException($"'{name}' is not a tool this key may use.", McpErrorCode.InvalidParams);
        }
        var arguments = request.Params?.Arguments is { } a ? new Dictionary<string, JsonElement>(a) : new Dictionary<string, JsonElement>();
        var call = callerTools.Invocation(arguments);
        var outcome = await request.Services!.GetRequiredService<ToolExecutor>()
            .ExecuteAsync(resolved, call, JsonSerializer.Serialize(arguments), cancellationToken);
        return new CallToolResult { Content = [new TextContentBlock { Text = outcome.Text }], IsError = outcome.IsError };
    }
}
