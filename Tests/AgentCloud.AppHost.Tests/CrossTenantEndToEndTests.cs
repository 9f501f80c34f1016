using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace AgentCloud.AppHost.Tests;

/// <summary>Two tenants' agents side by side through the Gateway: neither sees the other's memory, files or usage.</summary>
[Collection(PlatformCollection.Name)]
public sealed class CrossTenantEndToEndTests(PlatformFixture platform)
{
    [Fact]
    public async Task No_tenant_sees_another_tenants_memory_files_or_usage()
    {
        var (tenantA, keyA) = await platform.NewTenantAsync("pro", "alice");
        var (tenantB, keyB) = await platform.NewTenantAsync("pro", "bob");
        using var a = platform.Gateway().As(keyA);
        using var b = platform.Gateway().As(keyB);

        var put = await PlatformTenants.PatientlyAsync(() => a.PutAsJsonAsync("/v1/memory/notes/points",
            new { points = new[] { new { id = "secret", text = "alice's launch date is the ninth of march", payload = new { owner = "alice" } } } }));
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        var created = await PlatformTenants.PatientlyAsync(() => a.PostAsJsonAsync("/v1/sandboxes", new { }));
        var sandboxId = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        await a.PutAsync($"/v1/sandboxes/{sandboxId}/files/secret.txt", new StringContent("alice only"));
        await PlatformTenants.PatientlyAsync(() => a.PostAsJsonAsync("/v1/chat/completions",
            new { model = "sim-small", max_tokens = 4, messages = new[] { new { role = "user", content = "hi" } } }));

        var search = await b.PostAsJsonAsync("/v1/memory/notes/search", new { text = "launch date", limit = 10 });
        var searchText = await search.Content.ReadAsStringAsync();
        var file = await b.GetAsync($"/v1/sandboxes/{sandboxId}/files/secret.txt");
        var sandbox = await b.GetAsync($"/v1/sandboxes/{sandboxId}");
        var usage = await b.GetAsync($"/v1/usage?tenantId={tenantA}");
        var usageText = await usage.Content.ReadAsStringAsync();

        Assert.DoesNotContain("secret", searchText);
        Assert.DoesNotContain("alice", searchText);
        Assert.Equal(HttpStatusCode.NotFound, file.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, sandbox.StatusCode);
        Assert.DoesNotContain(tenantA, usageText);
        if (usage.IsSuccessStatusCode)
        {
            Assert.Equal(tenantB, JsonNode.Parse(usageText)!["tenantId"]!.GetValue<string>());
        }
        await a.DeleteAsync($"/v1/sandboxes/{sandboxId}");
    }
}
