using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace AgentCloud.AppHost.Tests;

/// <summary>
/// Key rotation and expiry through the running platform's Gateway, with its key cache warm: a tenant rotates its own
/// key, both secrets work in the grace period and only the new one after; without a grace the old secret is refused
/// on the very next call; an expired key is refused though the Gateway had it cached.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class KeyLifecycleEndToEndTests(PlatformFixture platform)
{
    [Fact]
    public async Task A_tenant_rotates_its_key_both_secrets_work_in_the_grace_and_only_the_new_one_after()
    {
        var (_, adminKey) = await platform.NewTenantAsync("pro", "rotator", new { name = "keys-admin", capabilities = new[] { "inference", "keys:admin" } });
        using var admin = platform.Gateway().As(adminKey);
        var created = await admin.PostAsJsonAsync("/v1/keys", new { name = "agent", capabilities = new[] { "inference" } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var createdBody = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        var (keyId, oldKey) = (createdBody["id"]!.GetValue<string>(), createdBody["key"]!.GetValue<string>());
        using var old = platform.Gateway().As(oldKey);
        Assert.Equal(HttpStatusCode.OK, (await PlatformTenants.PatientlyAsync(() => old.GetAsync("/v1/models"))).StatusCode);

        var rotated = await admin.PostAsJsonAsync($"/v1/keys/{keyId}/rotate", new { gracePeriodSeconds = 2 });

        var rotatedText = await rotated.Content.ReadAsStringAsync();
        Assert.True(rotated.StatusCode == HttpStatusCode.OK, rotatedText);
        Assert.False(rotated.Headers.Contains("x-agentcloud-revoked-keys"), "the Gateway's internal header reached the client");
        using var renewed = platform.Gateway().As(JsonNode.Parse(rotatedText)!["key"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await PlatformTenants.PatientlyAsync(() => renewed.GetAsync("/v1/models"))).StatusCode);
        await WaitForStatusAsync(old, HttpStatusCode.Unauthorized, "the old secret to be refused after its grace");
        Assert.Equal(HttpStatusCode.OK, (await PlatformTenants.PatientlyAsync(() => renewed.GetAsync("/v1/models"))).StatusCode);
    }

    [Fact]
    public async Task Without_a_grace_the_old_secret_is_refused_on_the_next_call_though_the_gateway_had_it_cached()
    {
        var (tenantId, _) = await platform.NewTenantAsync("pro", "rotate-now");
        using var operatorClient = platform.Operator();
        var created = JsonNode.Parse(await (await operatorClient.PostAsJsonAsync($"/admin/v1/tenants/{tenantId}/keys", new { name = "leaked" })).Content.ReadAsStringAsync())!;
        using var leaked = platform.Gateway().As(created["key"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await PlatformTenants.PatientlyAsync(() => leaked.GetAsync("/v1/models"))).StatusCode);

        var rotated = await operatorClient.PostAsync($"/admin/v1/tenants/{tenantId}/keys/{created["id"]!.GetValue<string>()}/rotate", null);

        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await leaked.GetAsync("/v1/models")).StatusCode);
    }

    [Fact]
    public async Task An_expired_key_is_refused_though_the_gateway_had_it_cached()
    {
        var (_, key) = await platform.NewTenantAsync("pro", "expiring", new { name = "short-lived", expiresAt = DateTimeOffset.UtcNow.AddSeconds(3) });
        using var client = platform.Gateway().As(key);
        Assert.Equal(HttpStatusCode.OK, (await PlatformTenants.PatientlyAsync(() => client.GetAsync("/v1/models"))).StatusCode);

        await WaitForStatusAsync(client, HttpStatusCode.Unauthorized, "the key to be refused after it expired");
    }

    /// <summary>Polls a cheap route until it answers <paramref name="status"/>, for at most 20 s (a bound, not a timing assertion).</summary>
    private static async Task WaitForStatusAsync(HttpClient client, HttpStatusCode status, string what)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(20);
        while ((await client.GetAsync("/v1/models")).StatusCode != status)
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(200);
        }
    }
}
