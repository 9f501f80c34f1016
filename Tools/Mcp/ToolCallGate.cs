using System.Text.Json;
using AgentCloud.Platform;
using AgentCloud.Platform.Contracts;
using AgentCloud.Platform.Tenancy;
using AgentCloud.Tools.Access;
using AgentCloud.Tools.Catalog;
using AgentCloud.Tools.Platform;

namespace AgentCloud.Tools.Mcp;

/// <summary>
/// Decides a <c>tools/call</c> at the HTTP layer, before the MCP server sees it: a tool the caller may not use is
/// 403 problem+json (the allowlist or the key refuses it), a permitted name that leads nowhere in the caller's own
/// tenant is 404; both are audited. The tool it resolves to is handed to the MCP handler, which checks again.
/// </summary>
public sealed class ToolCallGate(RequestDelegate next, ILogger<ToolCallGate> logger)
{
    public const int MaxBodyBytes = 1024 * 1024;
    public const string ResolvedToolItem = "agentcloud.tools.resolved";

    public async Task InvokeAsync(HttpContext http, ITenantPolicySource policies, ToolCatalog catalog, ToolAudit audit)
    {
        if (!HttpMethods.IsPost(http.Request.Method) || http.Features.Get<TenantContext>() is not { } caller)
        {
            await next(http);
            return;
        }
        if (http.Request.ContentLength > MaxBodyBytes)
        {
            await Problems.Create(StatusCodes.Status413PayloadTooLarge, "mcp-message-too-large", "Message too large",
                $"An MCP message may be at most {MaxBodyBytes} bytes.").ExecuteAsync(http);
            return;
        }
        http.Request.EnableBuffering(bufferThreshold: 64 * 1024, bufferLimit: MaxBodyBytes);
        ToolCall? call;
        try
        {
            call = await ReadToolCallAsync(http);
        }
        catch (IOException)
        {
            // A chunked body past the buffer limit.
            await Problems.Create(StatusCodes.Status413PayloadTooLarge, "mcp-message-too-large", "Message too large",
                $"An MCP message may be at most {MaxBodyBytes} bytes.").ExecuteAsync(http);
            return;
        }
        http.Request.Body.Position = 0;
        if (call is not { } c)
        {
            await next(http);
            return;
        }

        TenantPolicy? policy;
        try
        {
            policy = await policies.GetAsync(caller, http.RequestAborted);
        }
        catch (HttpRequestException e)
        {
            logger.LogWarning("The tenant policy could not be read: {Error}", e.HttpRequestError);
            http.Response.Headers.RetryAfter = "5";
            await Problems.Create(StatusCodes.Status503ServiceUnavailable, "policy-unavailable", "Service unavailable",
                "The tenant's tool allowlist could not be read; try again shortly.").ExecuteAsync(http);
            return;
        }
        if (policy is null)
        {
            await Problems.NotFound("The calling tenant no longer exists.").ExecuteAsync(http);
            return;
        }
        if (!ToolAccess.Allows(policy, caller, c.Name))
        {
            await audit.CalledAsync(caller.TenantId, caller.Principal, caller.RunId, c.Name, "forbidden", TimeSpan.Zero, c.ArgumentsJson);
            await Problems.Create(StatusCodes.Status403Forbidden, "tool-not-permitted", "Tool not permitted",
                $"'{Clip(c.Name)}' is not a tool this key may use: it must be on the tenant's tool allowlist and the key must hold 'tool:{Clip(c.Name)}'.")
                .ExecuteAsync(http);
            return;
        }
        var resolved = await catalog.ResolveAsync(caller.TenantId, c.Name, http.RequestAborted);
        if (resolved is null)
        {
            await audit.CalledAsync(caller.TenantId, caller.Principal, caller.RunId, c.Name, "not-found", TimeSpan.Zero, c.ArgumentsJson);
            await Problems.NotFound($"There is no tool '{Clip(c.Name)}': it is neither built in nor on one of this tenant's registered servers (GET /v1/tools/servers).")
                .ExecuteAsync(http);
            return;
        }
        http.Items[ResolvedToolItem] = resolved;
        await next(http);
    }

    private readonly record struct ToolCall(string Name, string ArgumentsJson);

    /// <summary>The tool name and raw arguments of a JSON-RPC <c>tools/call</c>, or null for any other message.</summary>
    private static async Task<ToolCall?> ReadToolCallAsync(HttpContext http)
    {
        try
        {
            using var doc = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("method", out var method) || method.ValueKind != JsonValueKind.String || method.GetString() != "tools/call")
            {
                return null;
            }
            var name = root.TryGetProperty("params", out var p) && p.ValueKind == JsonValueKind.Object
                       && p.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : "";
            // Serialized as the MCP handler serializes them, so a refused and an executed call hash alike.
            var arguments = p.ValueKind == JsonValueKind.Object && p.TryGetProperty("arguments", out var a) && a.ValueKind == JsonValueKind.Object
                ? JsonSerializer.Serialize(a.Deserialize<Dictionary<string, JsonElement>>())
                : "{}";
            return new ToolCall(name, arguments);
        }
        catch (JsonException)
        {
            return null; // the MCP server answers malformed messages itself
        }
    }

    private static string Clip(string s) => s.Length > 100 ? s[..100] + "…" : s;
}
