using AgentCloud.Tests.Shared;
using AgentCloud.Tools.Tests.Support;

namespace AgentCloud.Tools.Tests;

/// <summary><c>http.fetch</c>: the egress allowlist, the integration's credential injected by the platform and never shown back.</summary>
[Collection(ToolsCollection.Name)]
public sealed class HttpFetchTests(ToolsFixture f)
{
    [Fact]
    public async Task The_integrations_credential_reaches_the_host_as_its_header_and_never_comes_back_or_gets_logged()
    {
        var tenant = ToolsFixture.NewTenant();
        var secret = "echo-secret-" + Guid.NewGuid().ToString("N");
        f.Platform.Vault[(tenant, "echo")] = secret;
        f.App.Policies.Set(tenant, ["http.fetch"], egress: ["localhost"]);
        await using var mcp = await f.App.McpFor(TestTenantContexts.Tenant(tenant, "pro", "tool:http.fetch"));

        // The echo endpoint answers with every header it got: the credential would come straight back if not scrubbed.
        var result = await mcp.CallToolAsync("http.fetch", new Dictionary<string, object?> { ["url"] = f.Platform.Url.Replace("127.0.0.1", "localhost") + "/echo" });

        Assert.False(result.IsError, McpGatewayTests.Text(result));
        var received = f.Platform.Received.Last(r => r.Path == "/echo");
        Assert.Equal($"Token {secret}", received.Headers["x-echo-key"]);
        Assert.DoesNotContain(secret, McpGatewayTests.Text(result));
        Assert.Contains("[credential removed]", McpGatewayTests.Text(result));
        Assert.DoesNotContain(secret, f.App.Logs.All);
        // The reveal was asked in the caller's own context, with the executor's key.
        Assert.Contains(f.Platform.Received, r => r.Path == "/internal/v1/credentials/echo/reveal" && r.Tenant == tenant);
    }

    [Fact]
    public async Task A_host_off_the_egress_allowlist_is_a_tool_error_and_is_never_contacted()
    {
        var tenant = ToolsFixture.NewTenant();
        f.App.Policies.Set(tenant, ["http.fetch"], egress: ["api.github.com"]);
        await using var mcp = await f.App.McpFor(TestTenantContexts.Tenant(tenant, "pro", "tool:http.fetch"));
        var before = f.Platform.Received.Count(r => r.Path == "/echo");

        var result = await mcp.CallToolAsync("http.fetch", new Dictionary<string, object?> { ["url"] = f.Platform.Url.Replace("127.0.0.1", "localhost") + "/echo" });

        Assert.True(result.IsError);
        Assert.Contains("not on this tenant's egress allowlist", McpGatewayTests.Text(result));
        Assert.Equal(before, f.Platform.Received.Count(r => r.Path == "/echo"));
    }

    [Fact]
    public async Task Without_the_operators_admission_loopback_is_refused_even_when_allowlisted()
    {
        await using var strict = new ToolsApp(f.Redis.ConnectionString, f.Platform, allowPrivateAddresses: false);
        var tenant = ToolsFixture.NewTenant();
        strict.Policies.Set(tenant, ["http.fetch"], egress: ["localhost"]);
        await using var mcp = await strict.McpFor(TestTenantContexts.Tenant(tenant, "pro", "tool:http.fetch"));
        var before = f.Platform.Received.Count(r => r.Path == "/echo");

        var result = await mcp.CallToolAsync("http.fetch", new Dictionary<string, object?> { ["url"] = f.Platform.Url.Replace("127.0.0.1", "localhost") + "/echo" });

        Assert.True(result.IsError);
        Assert.Contains("loopback, private or link-local", McpGatewayTests.Text(result));
        Assert.Equal(before, f.Platform.Received.Count(r => r.Path == "/echo"));
    }
}
