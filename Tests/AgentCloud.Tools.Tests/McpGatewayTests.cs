using System.Net;
using System.Text.Json;
using AgentCloud.Platform.Contracts;
using AgentCloud.Tests.Shared;
using AgentCloud.Tools.Platform;
using AgentCloud.Tools.Tests.Support;
using ModelContextProtocol.Protocol;
using StackExchange.Redis;

namespace AgentCloud.Tools.Tests;

/// <summary><c>/v1/mcp</c> with the official MCP client: what a caller sees and may run, and what is recorded.</summary>
[Collection(ToolsCollection.Name)]
public sealed class McpGatewayTests(ToolsFixture f)
{
    [Fact]
    public async Task Tools_list_shows_exactly_the_allowlist_intersected_with_the_keys_capabilities()
    {
        var tenant = ToolsFixture.NewTenant();
        f.App.Policies.Set(tenant, ["memory.search", "memory.put", "http.fetch"]);
        await using var mcp = await f.App.McpFor(TestTenantContexts.Tenant(tenant, "pro", "tool:memory.search", "tool:sandbox.exec", "memory:read"));

        var tools = await mcp.ListToolsAsync();

        Assert.Equal(["memory.search"], tools.Select(t => t.Name));
        Assert.Contains("collection", tools[0].JsonSchema.GetRawText());
    }

    [Fact]
    public async Task A_tool_refused_by_the_allowlist_is_403_problem_json_at_tools_call_and_absent_from_tools_list()
    {
        var tenant = ToolsFixture.NewTenant();
        f.App.Policies.Set(tenant, ["memory.search"]);
        // The key holds the capability; the tenant's allowlist does not name the tool.
        var caller = TestTenantContexts.Tenant(tenant, "pro", "tool:memory.search", "tool:http.fetch");
        await using var mcp = await f.App.McpFor(caller);

        var listed = await mcp.ListToolsAsync();
        var response = await McpWire.CallToolAsync(f.App.ClientFor(caller), "http.fetch", new { url = "http://localhost/echo" });

        Assert.DoesNotContain(listed, t => t.Name == "http.fetch");
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Contains("tool-not-permitted", await response.Content.ReadAsStringAsync());
        await Assert.ThrowsAnyAsync<Exception>(() => mcp.CallToolAsync("http.fetch", new Dictionary<string, object?> { ["url"] = "http://localhost/echo" }).AsTask());
        Assert.DoesNotContain(f.Platform.Received, r => r.Path == "/echo" && r.Headers.GetValueOrDefault("user-agent", "").Contains("agentcloud-tools"));
    }

    [Fact]
    public async Task A_key_without_the_tool_capability_is_refused_even_when_the_tenant_allows_the_tool()
    {
        var tenant = ToolsFixture.NewTenant();
        f.App.Policies.Set(tenant, ["memory.search", "memory.put"]);
        var caller = TestTenantContexts.Tenant(tenant, "pro", "tool:memory.search", "memory:read", "memory:write");

        var response = await McpWire.CallToolAsync(f.App.ClientFor(caller), "memory.put", new { collection = "notes", id = "a", text = "x" });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.DoesNotContain(f.Platform.Received, r => r.Tenant == tenant && r.Path.StartsWith("/v1/memory", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Memory_tools_act_in_the_callers_own_context()
    {
        var tenant = ToolsFixture.NewTenant();
        f.App.Policies.Set(tenant, ["memory.search", "memory.put"]);
        await using var mcp = await f.App.McpFor(TestTenantContexts.Tenant(tenant, "pro", "tool:memory.search", "tool:memory.put"));

        var put = await mcp.CallToolAsync("memory.put", new Dictionary<string, object?> { ["collection"] = "notes", ["id"] = "n1", ["text"] = "due friday" });
        var search = await mcp.CallToolAsync("memory.search", new Dictionary<string, object?> { ["collection"] = "notes", ["text"] = "when is it due" });

        Assert.False(put.IsError);
        var echoed = JsonDocument.Parse(Text(search)).RootElement;
        Assert.Equal(tenant, echoed.GetProperty("tenant").GetString());
        Assert.Equal("/v1/memory/notes/search", echoed.GetProperty("path").GetString());
        Assert.Equal("when is it due", echoed.GetProperty("body").GetProperty("text").GetString());
    }

    [Fact]
    public async Task Missing_arguments_are_a_tool_error_that_says_what_is_needed()
    {
        var tenant = ToolsFixture.NewTenant();
        f.App.Policies.Set(tenant, ["memory.search"]);
        await using var mcp = await f.App.McpFor(TestTenantContexts.Tenant(tenant, "pro", "tool:memory.search"));

        var result = await mcp.CallToolAsync("memory.search", new Dictionary<string, object?> { ["collection"] = "notes" });

        Assert.True(result.IsError);
        Assert.Contains("'text' is required", Text(result));
    }

    [Fact]
    public async Task Every_call_is_audited_with_a_hash_of_its_arguments_and_metered_as_tool_usage()
    {
        var tenant = ToolsFixture.NewTenant();
        f.App.Policies.Set(tenant, ["memory.search", "http.fetch"]);
        var caller = TestTenantContexts.Tenant(tenant, "pro", "tool:memory.search");
        await using var mcp = await f.App.McpFor(caller);

        await mcp.CallToolAsync("memory.search", new Dictionary<string, object?> { ["collection"] = "notes", ["text"] = "private words" });
        await McpWire.CallToolAsync(f.App.ClientFor(caller), "http.fetch");

        var db = f.Redis.Connection.GetDatabase();
        var audits = (await db.StreamRangeAsync(PlatformAuditEntry.StreamName)).Select(Fields).Where(e => e["tenantId"] == tenant).ToList();
        Assert.All(audits, a => Assert.Equal(PlatformAuditEntry.ToolCalled, a["action"]));
        Assert.All(audits, a => Assert.NotNull(PlatformAuditEntry.TryParse(a, out _)));
        var data = audits.Select(a => JsonDocument.Parse(a["data"]).RootElement).ToList();
        Assert.Equal(["memory.search:ok", "http.fetch:forbidden"], data.Select(d => $"{d.GetProperty("tool").GetString()}:{d.GetProperty("outcome").GetString()}"));
        Assert.Equal(ToolAudit.HashOf("""{"collection":"notes","text":"private words"}"""), data[0].GetProperty("argumentsSha256").GetString());
        Assert.Equal(ToolAudit.HashOf("{}"), data[1].GetProperty("argumentsSha256").GetString());
        Assert.DoesNotContain("private words", string.Join("", audits.Select(a => a["data"])));

        var usage = (await db.StreamRangeAsync(UsageEvent.StreamName)).Select(e => UsageEvent.FromStreamFields(Fields(e), out _)).Where(e => e?.TenantId == tenant).ToList();
        var metered = Assert.Single(usage);
        Assert.Equal((UsageEvent.ToolKind, "tool:memory.search", "ok"), (metered!.Kind, metered.Resource, metered.Status));
        Assert.True(metered.SandboxSeconds >= 0);
    }

    [Fact]
    public async Task A_tool_call_of_a_projects_key_is_metered_to_that_project()
    {
        var tenant = ToolsFixture.NewTenant();
        f.App.Policies.Set(tenant, ["memory.search"]);
        var caller = TestTenantContexts.Tenant(tenant, "pro", "tool:memory.search") with { ProjectId = "prj_0a1b2c3d4e5f6a7b" };
        await using var mcp = await f.App.McpFor(caller);

        await mcp.CallToolAsync("memory.search", new Dictionary<string, object?> { ["collection"] = "notes", ["text"] = "words" });

        var usage = (await f.Redis.Connection.GetDatabase().StreamRangeAsync(UsageEvent.StreamName))
            .Select(e => UsageEvent.FromStreamFields(Fields(e), out _)).Where(e => e?.TenantId == tenant).ToList();
        Assert.Equal("prj_0a1b2c3d4e5f6a7b", Assert.Single(usage)!.ProjectId);
    }

    [Fact]
    public async Task Sandbox_exec_runs_through_the_broker_in_the_callers_context_with_the_command_as_given()
    {
        var tenant = ToolsFixture.NewTenant();
        f.App.Policies.Set(tenant, ["sandbox.exec"]);
        await using var mcp = await f.App.McpFor(TestTenantContexts.Tenant(tenant, "pro", "tool:sandbox.exec", "sandbox"));

        var result = await mcp.CallToolAsync("sandbox.exec", new Dictionary<string, object?>
        {
            ["sandboxId"] = "sbx_abc", ["command"] = new[] { "python3", "-c", "print(6*7)" },
        });
        var bad = await mcp.CallToolAsync("sandbox.exec", new Dictionary<string, object?> { ["sandboxId"] = "sbx_abc", ["command"] = "rm -rf /" });

        var echoed = JsonDocument.Parse(Text(result)).RootElement;
        Assert.Equal((tenant, "/v1/sandboxes/sbx_abc/exec"), (echoed.GetProperty("tenant").GetString(), echoed.GetProperty("path").GetString()));
        Assert.Equal(["python3", "-c", "print(6*7)"], echoed.GetProperty("body").GetProperty("command").EnumerateArray().Select(a => a.GetString()));
        Assert.True(bad.IsError);
        Assert.Contains("array of strings", Text(bad));
    }

    [Fact]
    public async Task A_single_json_rpc_post_without_a_session_lists_and_calls_tools_as_curl_would()
    {
        var tenant = ToolsFixture.NewTenant();
        f.App.Policies.Set(tenant, ["memory.search"]);
        var client = f.App.ClientFor(TestTenantContexts.Tenant(tenant, "pro", "tool:memory.search"));

        var list = await McpWire.SendAsync(client, "tools/list", new { });
        var call = await McpWire.CallToolAsync(client, "memory.search", new { collection = "notes", text = "hi" });

        var listed = await list.Content.ReadAsStringAsync();
        Assert.True(list.IsSuccessStatusCode, listed);
        Assert.Contains("\"memory.search\"", listed);
        Assert.Contains(tenant, await call.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_oversized_message_is_413_problem_json_not_a_crash()
    {
        var tenant = ToolsFixture.NewTenant();
        f.App.Policies.Set(tenant, ["memory.search"]);
        var client = f.App.ClientFor(TestTenantContexts.Tenant(tenant, "pro", "tool:memory.search"));

        var response = await McpWire.CallToolAsync(client, "memory.search", new { collection = "notes", text = new string('x', 2 * 1024 * 1024) });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task Without_a_tenant_context_the_mcp_endpoint_is_401()
    {
        var response = await McpWire.CallToolAsync(f.App.CreateClient(), "memory.search");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public void The_argument_hash_is_sha256_hex() =>
        Assert.Equal("44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", ToolAudit.HashOf("{}"));

    internal static string Text(CallToolResult result) => string.Join("\n", result.Content.OfType<TextContentBlock>().Select(t => t.Text));

    private static Dictionary<string, string> Fields(StreamEntry e) => e.Values.ToDictionary(v => v.Name.ToString(), v => v.Value.ToString());
}
