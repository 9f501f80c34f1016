using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace AgentCloud.AppHost.Tests;

/// <summary>
/// A run key through the whole platform: the broker obtains it from the ControlPlane for the sandbox, the agent inside
/// uses it through the Gateway, it cannot do what it was not given, and it dies with the sandbox.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class RunKeyEndToEndTests(PlatformFixture platform)
{
    private static async Task<JsonNode> ExecAsync(HttpClient tenant, string sandboxId, params string[] command)
    {
        var response = await PlatformTenants.PatientlyAsync(() => tenant.PostAsJsonAsync($"/v1/sandboxes/{sandboxId}/exec", new { command, timeoutSeconds = 60 }));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"exec: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    // The status the Gateway answers the run key with, asked from inside the sandbox through its egress proxy.
    private const string CallFromInside = """
        import os, sys, urllib.request, urllib.error
        method, path = sys.argv[1], sys.argv[2]
        request = urllib.request.Request(os.environ["AGENTCLOUD_URL"] + path, method=method, data=b"{}" if method == "POST" else None,
            headers={"Authorization": "Bearer " + os.environ["AGENTCLOUD_KEY"], "Content-Type": "application/json"})
        try:
            print(urllib.request.urlopen(request, timeout=30).status)
        except urllib.error.HTTPError as e:
            print(e.code)
        """;

    [Fact]
    public async Task The_agent_uses_its_run_key_inside_the_sandbox_only_for_what_it_was_given_and_not_after_delete()
    {
        var (_, tenantKey) = await platform.NewTenantAsync("pro", "runkey");
        using var tenant = platform.Gateway().As(tenantKey);
        var created = await PlatformTenants.PatientlyAsync(() => tenant.PostAsJsonAsync("/v1/sandboxes", new { }));
        var sandbox = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var sandboxId = sandbox["id"]!.GetValue<string>();
        Assert.Equal(["inference", "memory:read", "memory:write"], sandbox["runKey"]!["capabilities"]!.AsArray().Select(c => c!.GetValue<string>()));
        await tenant.PutAsync($"/v1/sandboxes/{sandboxId}/files/call.py", new StringContent(CallFromInside));

        var models = await ExecAsync(tenant, sandboxId, "python3", "call.py", "GET", "/v1/models");
        var sandboxes = await ExecAsync(tenant, sandboxId, "python3", "call.py", "POST", "/v1/sandboxes");
        var admin = await ExecAsync(tenant, sandboxId, "python3", "call.py", "GET", "/admin/v1/tenants");
        var runKey = (await ExecAsync(tenant, sandboxId, "/bin/sh", "-c", "printf %s \"$AGENTCLOUD_KEY\""))["stdout"]!.GetValue<string>();

        Assert.Equal("200", models["stdout"]!.GetValue<string>().Trim());
        Assert.Equal("403", sandboxes["stdout"]!.GetValue<string>().Trim());
        Assert.Equal("401", admin["stdout"]!.GetValue<string>().Trim());
        Assert.NotEqual(tenantKey, runKey);

        // The key carried out of the sandbox works from anywhere while the run lives, and not after its delete.
        using var stolen = platform.Gateway().As(runKey);
        Assert.Equal(HttpStatusCode.OK, (await PlatformTenants.PatientlyAsync(() => stolen.GetAsync("/v1/models"))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await PlatformTenants.PatientlyAsync(() => tenant.DeleteAsync($"/v1/sandboxes/{sandboxId}"))).StatusCode);

        // The DELETE passed through this Gateway, which dropped the key before answering: refused on the very next call.
        var after = await stolen.GetAsync("/v1/models");
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await tenant.GetAsync("/v1/models")).StatusCode);
    }
}
