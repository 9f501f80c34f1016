using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace AgentCloud.AppHost.Tests;

/// <summary>
/// Tools through the whole platform: the official MCP client on the Gateway's <c>/v1/mcp</c>, tenant-registered servers
/// (the sample ticket server) with the tenant's vault credential, run keys inside sandboxes, another tenant trying
/// its luck, and the credential looked for in every answer, the sandbox's environment and the services' logs.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class ToolsEndToEndTests(PlatformFixture platform)
{
    private string SampleToolsUrl => $"http://127.0.0.1:{platform.Args.SampleToolsPort}/mcp";

    private async Task<(string TenantId, string Key)> TenantWithToolsAsync(string name, string[] tools, string[] keyCapabilities)
    {
        using var admin = platform.Operator();
        var created = await admin.PostAsJsonAsync("/admin/v1/tenants", new { name = $"{name}-{Guid.NewGuid():N}"[..30], tier = "pro", tools });
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        var tenantId = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        var key = await admin.PostAsJsonAsync($"/admin/v1/tenants/{tenantId}/keys", new { name = "tools", capabilities = keyCapabilities });
        Assert.True(key.IsSuccessStatusCode, await key.Content.ReadAsStringAsync());
        return (tenantId, JsonNode.Parse(await key.Content.ReadAsStringAsync())!["key"]!.GetValue<string>());
    }

    private async Task<McpClient> McpAsync(string key)
    {
        var transport = new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri($"http://127.0.0.1:{platform.Args.GatewayPort}/v1/mcp"),
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + key },
        });
        return await McpClient.CreateAsync(transport);
    }

    private static async Task<HttpResponseMessage> RawCallAsync(HttpClient client, string tool, object arguments)
    {
        var body = JsonSerializer.Serialize(new { jsonrpc = "2.0", id = 1, method = "tools/call", @params = new { name = tool, arguments } });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/mcp") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        return await client.SendAsync(request);
    }

    private static string Text(CallToolResult result) => string.Join("\n", result.Content.OfType<TextContentBlock>().Select(t => t.Text));

    [Fact]
    public async Task A_tenants_registered_server_is_called_with_its_vault_credential_through_the_gateway_and_no_one_else_can_reach_it()
    {
        var token = "helpdesk-" + Guid.NewGuid().ToString("N");
        var (tenantId, key) = await TenantWithToolsAsync("tools-a", ["tickets.create", "tickets.list", "memory.search"],
            ["inference", "memory:read", "sandbox", "credentials:write", "usage:read", "tool:tickets.create", "tool:memory.search"]);
        using var tenant = platform.Gateway().As(key);
        Assert.Equal(HttpStatusCode.NoContent, (await tenant.PutAsJsonAsync("/v1/credentials/helpdesk", new { secret = token })).StatusCode);
        var registered = await tenant.PostAsJsonAsync("/v1/tools/servers", new { name = "tickets", url = SampleToolsUrl, integration = "helpdesk" });
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        var answers = new List<string> { await registered.Content.ReadAsStringAsync() };

        await using (var mcp = await McpAsync(key))
        {
            var tools = await mcp.ListToolsAsync();
            Assert.Equal(["memory.search", "tickets.create"], tools.Select(t => t.Name).Order());
            var created = await mcp.CallToolAsync("tickets.create", new Dictionary<string, object?> { ["title"] = "vpn down" });
            Assert.False(created.IsError, Text(created));
            Assert.Equal("vpn down", JsonNode.Parse(Text(created))!["title"]!.GetValue<string>());
            answers.Add(Text(created));
        }

        // Allowlisted but not granted to the key: 403 problem+json at tools/call.
        var refused = await RawCallAsync(tenant, "tickets.list", new { });
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        answers.Add(await refused.Content.ReadAsStringAsync());

        // Another tenant that allowlists the same name and holds the capability finds nothing of A's.
        var (_, otherKey) = await TenantWithToolsAsync("tools-b", ["tickets.create"], ["inference", "credentials:write", "tool:tickets.create"]);
        using var other = platform.Gateway().As(otherKey);
        var otherList = await other.GetStringAsync("/v1/tools/servers");
        var otherGet = await other.GetAsync("/v1/tools/servers/tickets");
        var otherDelete = await other.DeleteAsync("/v1/tools/servers/tickets");
        var otherCall = await RawCallAsync(other, "tickets.create", new { title = "x" });
        Assert.Equal("""{"servers":[]}""", otherList);
        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound), (otherGet.StatusCode, otherDelete.StatusCode, otherCall.StatusCode));
        foreach (var body in new[] { otherList, await otherGet.Content.ReadAsStringAsync(), await otherCall.Content.ReadAsStringAsync() })
        {
            Assert.DoesNotContain(tenantId, body);
            Assert.DoesNotContain(SampleToolsUrl, body);
        }
        answers.Add(await tenant.GetStringAsync("/v1/tools/servers"));

        // Audited in A's chain and metered as tool usage.
        using var admin = platform.Operator();
        var trail = await PollAsync(async () => await admin.GetStringAsync($"/admin/v1/audit?tenantId={tenantId}"), t => t.Contains("tool.called") && t.Contains("forbidden"));
        var usage = await PollAsync(async () => await tenant.GetStringAsync("/v1/usage"), u => u.Contains("tool:tickets.create"));
        Assert.Contains("argumentsSha256", trail);
        answers.Add(trail);
        answers.Add(usage);

        Assert.All(answers, a => Assert.DoesNotContain(token, a));
        await AssertLogsFreeOfAsync(token);
    }

    [Fact]
    public async Task An_agent_in_a_sandbox_with_a_run_key_granted_tickets_create_only_can_call_that_tool_and_no_other_and_never_holds_the_credential()
    {
        var token = "helpdesk-" + Guid.NewGuid().ToString("N");
        var (_, key) = await TenantWithToolsAsync("tools-run", ["tickets.create", "tickets.list", "memory.search"],
            ["inference", "memory:read", "sandbox", "credentials:write", "tool:tickets.create", "tool:tickets.list", "tool:memory.search"]);
        using var tenant = platform.Gateway().As(key);
        await tenant.PutAsJsonAsync("/v1/credentials/helpdesk", new { secret = token });
        (await tenant.PostAsJsonAsync("/v1/tools/servers", new { name = "tickets", url = SampleToolsUrl, integration = "helpdesk" })).EnsureSuccessStatusCode();
        var created = await PlatformTenants.PatientlyAsync(() => tenant.PostAsJsonAsync("/v1/sandboxes", new
        {
            capabilities = new[] { "inference", "tool:tickets.create" },
            // What is tested is the run key and the tool path, the same at every level; bubblewrap starts fastest on a busy host.
            isolation = "bubblewrap",
        }));
        var createdBody = await created.Content.ReadAsStringAsync();
        Assert.True(created.StatusCode == HttpStatusCode.Created, createdBody);
        var sandboxId = JsonNode.Parse(createdBody)!["id"]!.GetValue<string>();
        try
        {
            await tenant.PutAsync($"/v1/sandboxes/{sandboxId}/files/tool.py", new StringContent(ToolFromInside));

            var ticket = await ExecAsync(tenant, sandboxId, "python3", "tool.py", "tickets.create", """{"title":"from the sandbox"}""");
            var list = await ExecAsync(tenant, sandboxId, "python3", "tool.py", "tickets.list", "{}");
            var memory = await ExecAsync(tenant, sandboxId, "python3", "tool.py", "memory.search", """{"collection":"c","text":"t"}""");
            var environment = await ExecAsync(tenant, sandboxId, "/bin/sh", "-c", "env; cat /proc/self/environ; ls -la /run /tmp 2>&1");

            Assert.StartsWith("200 ", ticket);
            Assert.Contains("from the sandbox", ticket);
            Assert.StartsWith("403 ", list);
            Assert.StartsWith("403 ", memory);
            foreach (var seen in new[] { ticket, list, memory, environment })
            {
                Assert.DoesNotContain(token, seen);
            }
        }
        finally
        {
            await tenant.DeleteAsync($"/v1/sandboxes/{sandboxId}");
        }
        await AssertLogsFreeOfAsync(token);
    }

    [Fact]
    public async Task The_openai_sdk_function_calling_loop_runs_its_tool_calls_through_mcp_and_answers()
    {
        var token = "helpdesk-" + Guid.NewGuid().ToString("N");
        var (_, key) = await TenantWithToolsAsync("tools-openai", ["tickets.create"], ["inference", "credentials:write", "tool:tickets.create"]);
        using var tenant = platform.Gateway().As(key);
        await tenant.PutAsJsonAsync("/v1/credentials/helpdesk", new { secret = token });
        (await tenant.PostAsJsonAsync("/v1/tools/servers", new { name = "tickets", url = SampleToolsUrl, integration = "helpdesk" })).EnsureSuccessStatusCode();
        await using var mcp = await McpAsync(key);
        var chat = new OpenAI.OpenAIClient(new System.ClientModel.ApiKeyCredential(key),
            new OpenAI.OpenAIClientOptions { Endpoint = new Uri($"http://127.0.0.1:{platform.Args.GatewayPort}/v1") }).GetChatClient("sim-small");

        // The MCP tools become OpenAI functions (no dots allowed in their names).
        var tools = (await mcp.ListToolsAsync()).Select(t => OpenAI.Chat.ChatTool.CreateFunctionTool(t.Name.Replace(".", "__"), t.Description,
            BinaryData.FromString(t.JsonSchema.GetRawText()))).ToList();
        var options = new OpenAI.Chat.ChatCompletionOptions { MaxOutputTokenCount = 64 };
        foreach (var tool in tools)
        {
            options.Tools.Add(tool);
        }
        options.ToolChoice = OpenAI.Chat.ChatToolChoice.CreateFunctionChoice("tickets__create");
        List<OpenAI.Chat.ChatMessage> messages = [new OpenAI.Chat.UserChatMessage("Open a ticket: the printer is jammed.")];

        var first = (await chat.CompleteChatAsync(messages, options)).Value;
        var results = new List<string>();
        if (first.ToolCalls.Count > 0)
        {
            messages.Add(new OpenAI.Chat.AssistantChatMessage(first.ToolCalls));
        }
        foreach (var call in first.ToolCalls)
        {
            var arguments = JsonSerializer.Deserialize<Dictionary<string, object?>>(call.FunctionArguments.ToString()) ?? [];
            var result = await mcp.CallToolAsync(call.FunctionName.Replace("__", "."), arguments);
            Assert.False(result.IsError, Text(result));
            results.Add(Text(result));
            messages.Add(new OpenAI.Chat.ToolChatMessage(call.Id, Text(result)));
        }
        options.ToolChoice = OpenAI.Chat.ChatToolChoice.CreateNoneChoice();
        var final = (await chat.CompleteChatAsync(messages, options)).Value;

        // The model asks for the named tool (function calling through inference) and the tool ran through MCP.
        Assert.Equal(OpenAI.Chat.ChatFinishReason.ToolCalls, first.FinishReason);
        Assert.Equal("tickets__create", Assert.Single(first.ToolCalls).FunctionName);
        Assert.Contains("TCK-", Assert.Single(results));
        Assert.False(string.IsNullOrWhiteSpace(final.Content.FirstOrDefault()?.Text));
        Assert.All(results, r => Assert.DoesNotContain(token, r));
    }

    // A tool call from inside the sandbox with the run key: prints the status, then the body.
    private const string ToolFromInside = """
        import json, os, sys, urllib.request, urllib.error
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": sys.argv[1], "arguments": json.loads(sys.argv[2])}}).encode()
        request = urllib.request.Request(os.environ["AGENTCLOUD_URL"] + "/v1/mcp", data=body, method="POST", headers={
            "Authorization": "Bearer " + os.environ["AGENTCLOUD_KEY"], "Content-Type": "application/json", "Accept": "application/json, text/event-stream"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                print(response.status, response.read().decode())
        except urllib.error.HTTPError as e:
            print(e.code, e.read().decode())
        """;

    private static async Task<string> ExecAsync(HttpClient tenant, string sandboxId, params string[] command)
    {
        var response = await PlatformTenants.PatientlyAsync(() => tenant.PostAsJsonAsync($"/v1/sandboxes/{sandboxId}/exec", new { command, timeoutSeconds = 60 }));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"exec: {(int)response.StatusCode} {text}");
        var result = JsonNode.Parse(text)!;
        return result["stdout"]!.GetValue<string>() + result["stderr"]!.GetValue<string>();
    }

    private static async Task<string> PollAsync(Func<Task<string>> read, Func<string, bool> done)
    {
        var last = "";
        for (var attempt = 0; attempt < 60; attempt++)
        {
            last = await read();
            if (done(last))
            {
                return last;
            }
            await Task.Delay(500);
        }
        Assert.Fail($"never saw what was awaited; last answer: {last}");
        return last;
    }

    /// <summary>The secret appears in no log line of any platform service (the Tools service, the ControlPlane's vault, the sample server included).</summary>
    private async Task AssertLogsFreeOfAsync(string secret)
    {
        var logs = platform.App.Services.GetRequiredService<ResourceLoggerService>();
        foreach (var resource in PlatformFixture.Services)
        {
            await foreach (var batch in logs.GetAllAsync(resource))
            {
                Assert.DoesNotContain(batch, line => line.Content.Contains(secret, StringComparison.Ordinal));
            }
        }
    }
}
