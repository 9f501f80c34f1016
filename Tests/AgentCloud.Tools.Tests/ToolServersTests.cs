extern alias sample;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentCloud.Platform.Tenancy;
using AgentCloud.Tests.Shared;
using AgentCloud.Tools.Tests.Support;

namespace AgentCloud.Tools.Tests;

/// <summary>Tenant-registered MCP servers: the registry, their tools as <c>{server}.{tool}</c>, their credential, and other tenants.</summary>
[Collection(ToolsCollection.Name)]
public sealed class ToolServersTests(ToolsFixture f)
{
    private async Task<(string Tenant, string Token)> TenantWithTicketsAsync(params string[] allowlist)
    {
        var tenant = ToolsFixture.NewTenant();
        var token = "helpdesk-token-" + Guid.NewGuid().ToString("N");
        f.Platform.Vault[(tenant, "helpdesk")] = token;
        f.App.Policies.Set(tenant, allowlist.Length > 0 ? allowlist : ["tickets.create", "tickets.list"]);
        var register = await f.App.ClientFor(TestTenantContexts.Tenant(tenant)).PostAsJsonAsync("/v1/tools/servers",
            new { name = "tickets", url = f.Tickets.McpUrl, integration = "helpdesk" });
        Assert.Equal(HttpStatusCode.Created, register.StatusCode);
        return (tenant, token);
    }

    [Fact]
    public async Task A_run_key_granted_only_tickets_create_lists_and_calls_that_tool_and_no_other()
    {
        var (tenant, token) = await TenantWithTicketsAsync("tickets.create", "tickets.list", "memory.search");
        var runKey = new TenantContext(tenant, "pro", "key:run", ["inference", "tool:tickets.create"], RunId: "sbx_run1");
        await using var mcp = await f.App.McpFor(runKey);

        var listed = await mcp.ListToolsAsync();
        var created = await mcp.CallToolAsync("tickets.create", new Dictionary<string, object?> { ["title"] = "printer on fire" });
        var other = await McpWire.CallToolAsync(f.App.ClientFor(runKey), "tickets.list");
        var builtIn = await McpWire.CallToolAsync(f.App.ClientFor(runKey), "memory.search", new { collection = "notes", text = "x" });

        Assert.Equal(["tickets.create"], listed.Select(t => t.Name));
        Assert.False(created.IsError, McpGatewayTests.Text(created));
        var ticket = JsonDocument.Parse(McpGatewayTests.Text(created)).RootElement;
        Assert.Equal("printer on fire", ticket.GetProperty("title").GetString());
        // The server knew the caller by the tenant's own credential, which it never echoes and we never show.
        Assert.Equal(sample::AgentCloud.SampleToolServer.BearerTokenRequired.AccountOf(token), ticket.GetProperty("account").GetString());
        Assert.DoesNotContain(token, McpGatewayTests.Text(created));
        await ProblemAssert.IsProblemAsync(other, HttpStatusCode.Forbidden);
        await ProblemAssert.IsProblemAsync(builtIn, HttpStatusCode.Forbidden);
        Assert.DoesNotContain(token, f.App.Logs.All);
    }

    [Fact]
    public async Task Another_tenant_cannot_see_use_or_remove_a_tenants_server_and_learns_nothing()
    {
        var (owner, token) = await TenantWithTicketsAsync();
        var intruder = ToolsFixture.NewTenant();
        // The intruder even allowlists the same name and holds the capability: the name leads nowhere in its tenant.
        f.App.Policies.Set(intruder, ["tickets.create"]);
        var asIntruder = f.App.ClientFor(TestTenantContexts.Tenant(intruder, "pro", "tool:tickets.create"));
        await using var mcp = await f.App.McpFor(TestTenantContexts.Tenant(intruder, "pro", "tool:tickets.create"));

        var list = await asIntruder.GetFromJsonAsync<JsonElement>("/v1/tools/servers");
        var get = await asIntruder.GetAsync("/v1/tools/servers/tickets");
        var delete = await asIntruder.DeleteAsync("/v1/tools/servers/tickets");
        var call = await McpWire.CallToolAsync(asIntruder, "tickets.create", new { title = "x" });
        var tools = await mcp.ListToolsAsync();

        Assert.Empty(list.GetProperty("servers").EnumerateArray());
        await ProblemAssert.IsProblemAsync(get, HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(delete, HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(call, HttpStatusCode.NotFound);
        Assert.Empty(tools);
        foreach (var body in new[] { list.GetRawText(), await get.Content.ReadAsStringAsync(), await call.Content.ReadAsStringAsync() })
        {
            Assert.DoesNotContain(owner, body);
            Assert.DoesNotContain(f.Tickets.McpUrl, body);
            Assert.DoesNotContain(token, body);
        }
        // The owner's server is untouched.
        var own = await f.App.ClientFor(TestTenantContexts.Tenant(owner)).GetAsync("/v1/tools/servers/tickets");
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
    }

    [Fact]
    public async Task Registering_listing_and_removing_a_server()
    {
        var tenant = ToolsFixture.NewTenant();
        var client = f.App.ClientFor(TestTenantContexts.Tenant(tenant));

        var created = await client.PostAsJsonAsync("/v1/tools/servers", new { name = "crm", url = f.Tickets.McpUrl });
        var again = await client.PostAsJsonAsync("/v1/tools/servers", new { name = "crm", url = f.Tickets.McpUrl });
        var listed = await client.GetFromJsonAsync<JsonElement>("/v1/tools/servers");
        var removed = await client.DeleteAsync("/v1/tools/servers/crm");
        var gone = await client.GetAsync("/v1/tools/servers/crm");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("/v1/tools/servers/crm", created.Headers.Location?.ToString());
        await ProblemAssert.IsProblemAsync(again, HttpStatusCode.Conflict);
        Assert.Equal(["crm"], listed.GetProperty("servers").EnumerateArray().Select(s => s.GetProperty("name").GetString()));
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        await ProblemAssert.IsProblemAsync(gone, HttpStatusCode.NotFound);
    }

    public static TheoryData<string, string?, string> BadRegistrations => new()
    {
        { "Tickets", "http://localhost:1/mcp", "'name'" },
        { "memory", "http://localhost:1/mcp", "'name'" },
        { "a.b", "http://localhost:1/mcp", "'name'" },
        { "ok", null, "'url'" },
        { "ok", "file:///etc/passwd", "http" },
        { "ok", "http://user:pw@localhost:1/mcp", "user name" },
        { "ok", "http://controlplane/internal/v1/keys/resolve", "fully qualified" },
    };

    [Theory]
    [MemberData(nameof(BadRegistrations))]
    public async Task Bad_registrations_are_400_and_say_what_is_wrong(string name, string? url, string mentioned)
    {
        var client = f.App.ClientFor(TestTenantContexts.Tenant(ToolsFixture.NewTenant()));

        var response = await client.PostAsJsonAsync("/v1/tools/servers", new { name, url });

        Assert.Contains(mentioned, await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task Without_the_operators_admission_a_loopback_or_private_server_url_is_refused()
    {
        await using var strict = new ToolsApp(f.Redis.ConnectionString, f.Platform, allowPrivateAddresses: false);
        var client = strict.ClientFor(TestTenantContexts.Tenant(ToolsFixture.NewTenant()));

        foreach (var url in new[] { f.Tickets.McpUrl, "http://169.254.169.254/latest/meta-data", "http://10.0.0.1/mcp", "http://[::1]:80/mcp" })
        {
            var response = await client.PostAsJsonAsync("/v1/tools/servers", new { name = "x", url });
            Assert.Contains("loopback, private or link-local", await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest));
        }
    }

    [Fact]
    public async Task A_run_may_use_but_not_change_its_tenants_servers()
    {
        var (tenant, _) = await TenantWithTicketsAsync();
        var run = f.App.ClientFor(new TenantContext(tenant, "pro", "key:run", ["inference"], RunId: "sbx_run2"));

        var add = await run.PostAsJsonAsync("/v1/tools/servers", new { name = "evil", url = f.Tickets.McpUrl });
        var remove = await run.DeleteAsync("/v1/tools/servers/tickets");
        var list = await run.GetFromJsonAsync<JsonElement>("/v1/tools/servers");

        await ProblemAssert.IsProblemAsync(add, HttpStatusCode.Forbidden);
        await ProblemAssert.IsProblemAsync(remove, HttpStatusCode.Forbidden);
        Assert.Single(list.GetProperty("servers").EnumerateArray());
    }

    [Fact]
    public async Task A_server_whose_credential_is_missing_gives_a_tool_error_naming_the_integration_not_a_secret()
    {
        var tenant = ToolsFixture.NewTenant();
        f.App.Policies.Set(tenant, ["tickets.create"]);
        await f.App.ClientFor(TestTenantContexts.Tenant(tenant)).PostAsJsonAsync("/v1/tools/servers",
            new { name = "tickets", url = f.Tickets.McpUrl, integration = "helpdesk" });
        await using var mcp = await f.App.McpFor(TestTenantContexts.Tenant(tenant, "pro", "tool:tickets.create"));

        var result = await mcp.CallToolAsync("tickets.create", new Dictionary<string, object?> { ["title"] = "x" });

        Assert.True(result.IsError);
        Assert.Contains("no credential for 'helpdesk'", McpGatewayTests.Text(result));
    }
}
